// The facilitator page: swaps in fragments the server renders. No framework, no build.
"use strict";
(function () {
  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
  let whatIf = {};      // score -> value or "na": what-if scores of the selected domain (never stored)
  let roomHtml = "";
  let timer = null;

  function domainId() { const d = $("#domain"); return d ? d.dataset.domain : null; }

  function query() {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(whatIf)) params.set("s." + name, value);
    return params.toString();
  }

  async function get(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(await response.text());
    return response.text();
  }

  async function post(url, data) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(data),
    });
    const answer = await response.json();
    if (!response.ok) throw new Error((answer.field ? answer.field + ": " : "") + answer.error);
    return answer;
  }

  function showError(error) {
    const banner = $("#top-banner");
    banner.innerHTML = "";
    const box = document.createElement("div");
    box.className = "banner error";
    box.textContent = String(error.message || error);
    banner.appendChild(box);
  }

  async function refreshOutcome() {
    const id = domainId();
    if (!id) return;
    try {
      const template = document.createElement("template");
      template.innerHTML = await get("/fragment/outcome/" + encodeURIComponent(id) + "?" + query());
      for (const part of ["#outcome", "#details"]) $(part).replaceWith($(part, template.content));
      await refreshNearest();
    } catch (error) { showError(error); }
  }

  // The counterfactual search takes longer than the outcome: fetched after it, and only
  // shown if the sliders have not moved on meanwhile.
  async function refreshNearest() {
    const id = domainId();
    const asked = query();
    const html = await get("/fragment/nearest/" + encodeURIComponent(id) + "?" + asked);
    if (asked === query() && id === domainId() && $("#nearest")) $("#nearest").outerHTML = html;
  }

  async function loadDomain(id) {
    whatIf = {};
    $("#domain-slot").innerHTML = await get("/fragment/domain/" + encodeURIComponent(id));
    bindDomain();
    await refreshNearest();
    $$(".chip").forEach((chip) => chip.classList.toggle("selected", chip.dataset.domain === id));
  }

  async function refreshLeft() {
    $(".left").innerHTML = await get("/fragment/portfolio?selected=" + encodeURIComponent(domainId() || ""));
    $("#thresholds-slot").innerHTML = await get("/fragment/thresholds");
    $("#top-banner").innerHTML = await get("/fragment/banner");
    bindLeft();
  }

  async function refreshRoom() {
    try {
      const html = await get("/fragment/room");
      if (html !== roomHtml) { roomHtml = html; $("#room-body").outerHTML = html; }
    } catch (error) { /* the next poll tries again */ }
  }

  function debounce(fn) {
    return function () { clearTimeout(timer); timer = setTimeout(fn, 60); };
  }

  function bindDomain() {
    const later = debounce(refreshOutcome);
    $$("#domain input[type=range]").forEach((slider) => {
      slider.addEventListener("input", () => {
        const name = slider.dataset.score;
        $('output[data-for="' + slider.id + '"]').textContent = slider.value;
        $('input[data-missing-for="' + name + '"]').checked = false;
        whatIf[name] = Number(slider.value);
        later();
      });
    });
    $$("#domain input[data-missing-for]").forEach((box) => {
      box.addEventListener("change", () => {
        const name = box.dataset.missingFor;
        const slider = $("#s-" + CSS.escape(name));
        whatIf[name] = box.checked ? "na" : Number(slider.value);
        $('output[data-for="' + slider.id + '"]').textContent = box.checked ? "missing" : slider.value;
        refreshOutcome();
      });
    });
    $("#reset-scores").addEventListener("click", () => loadDomain(domainId()));
  }

  function bindLeft() {
    $$(".chip").forEach((chip) => chip.addEventListener("click", () => loadDomain(chip.dataset.domain)));
    $$("#thresholds input[type=range]").forEach((slider) => {
      slider.addEventListener("input", () => {
        $('output[data-for="' + slider.id + '"]').textContent = slider.value;
      });
      slider.addEventListener("change", async () => {
        const thresholds = {};
        $$("#thresholds input[type=range]").forEach((s) => { thresholds[s.dataset.threshold] = Number(s.value); });
        try {
          await post("/api/thresholds", { thresholds });
          await refreshLeft();
          await refreshOutcome();
          roomHtml = ""; await refreshRoom();
        } catch (error) { showError(error); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    bindLeft();
    bindDomain();
    refreshNearest();
    roomHtml = $("#room-body").outerHTML;
    $("#reset-all").addEventListener("click", async () => {
      try {
        await post("/api/thresholds", { thresholds: {} });
        await refreshLeft();
        await loadDomain(domainId());
        roomHtml = ""; await refreshRoom();
      } catch (error) { showError(error); }
    });
    $("#close-round").addEventListener("click", async () => {
      const record = $("#record-round").checked;
      if (!window.confirm("Close this round and open the next?" + (record ? " It is recorded in the audit store." : ""))) return;
      try { await post("/api/rounds/close", { record }); window.location.reload(); } catch (error) { showError(error); }
    });
    setInterval(refreshRoom, 2000);
  });
})();
