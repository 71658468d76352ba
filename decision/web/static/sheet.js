// The participant's sheet: sends the choices as JSON and shows the answer.
"use strict";
(function () {
  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("sheet");
    const status = document.getElementById("status");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      form.querySelectorAll(".invalid").forEach((el) => el.classList.remove("invalid"));
      const scores = {};
      form.querySelectorAll("select[data-domain]").forEach((select) => {
        if (select.value === "") return;
        const value = /^[0-9.]+$/.test(select.value) ? Number(select.value) : select.value;
        (scores[select.dataset.domain] = scores[select.dataset.domain] || {})[select.dataset.score] = value;
      });
      const participant = document.getElementById("participant").value;
      if (Object.keys(scores).length === 0) { status.textContent = "Score at least one thing first."; return; }
      status.textContent = "Sending…";
      try {
        const response = await fetch("/api/sheets", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ participant, scores }),
        });
        const answer = await response.json();
        if (!response.ok) {
          status.textContent = (answer.field ? answer.field + ": " : "") + answer.error;
          const parts = (answer.field || "").split(".");
          const target = answer.field === "participant" ? document.getElementById("participant")
            : form.querySelector('select[name="' + CSS.escape(parts.slice(1).join(".")) + '"]');
          if (target) target.classList.add("invalid");
          return;
        }
        status.textContent = "Saved for round " + answer.round + ", " + answer.participant + ". You can change and submit again.";
      } catch (error) {
        status.textContent = "Not sent: " + error;
      }
    });
  });
})();
