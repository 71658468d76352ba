"""The workshop room's pages in real headless Chromium, driven by Playwright.

Playwright's own browser download is not available here; it drives Debian's `chromium`
through ``executable_path``. The tests skip only when Playwright or Chromium is missing
(`.ci/run` installs Chromium). The server is the real one: uvicorn in a thread.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
playwright_api = pytest.importorskip("playwright.sync_api")

import uvicorn  # noqa: E402

from decision.engine.walk import classify_all  # noqa: E402
from decision.inputs.profiles import load_profiles  # noqa: E402
from decision.model.result import ScoreValue  # noqa: E402
from decision.web.app import create_app  # noqa: E402
from decision.web.room import Room  # noqa: E402
from tests.conftest import DOMAINS_DIR, write  # noqa: E402

KEY = "facilitator-key"
EVIL_NAME = "<script>window.pwned = 1</script>Evil domain"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(rulebook, tmp_path_factory):
    """The room on the shipped domains plus one whose name is a script, on a free port."""
    folder = tmp_path_factory.mktemp("domains")
    write(
        folder / "evil.yaml",
        f"id: evil\nname: '{EVIL_NAME}'\nscores:\n  economic: 4\n  innovation: 4\n  technology: 4\n"
        "  science: 4\n  opportunity: 4\n  transition: 4\n  feasibility: 4\n",
    )
    profiles = load_profiles([DOMAINS_DIR, folder], rulebook)
    room = Room(rulebook, profiles, tmp_path_factory.mktemp("store") / "room.sqlite")
    port = _free_port()
    config = uvicorn.Config(
        create_app(room, room_code=None, facilitator_code=KEY), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the room's server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", {p.id: p for p in profiles}
    server.should_exit = True
    thread.join(timeout=10)
    room.close()


def facilitator_page(browser, base, domain="biotech"):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/facilitator?key={KEY}&domain={domain}")
    return page, errors


def _category(rulebook, profile, **moved) -> str:
    # Worked out here by an engine of the test's own: the Room belongs to the server's
    # thread, and the test must not call into it while the server answers the page.
    scores = {**profile.scores, **{name: ScoreValue(value=value) for name, value in moved.items()}}
    return classify_all([profile.model_copy(update={"scores": scores})], rulebook)[0].category


def _participants(page, base) -> list[str]:
    return page.request.get(f"{base}/api/workshop").json()["participants"]


def test_moving_a_score_slider_changes_the_shown_category(browser, server, rulebook):
    base, profiles = server
    page, errors = facilitator_page(browser, base, "biotech")
    outcome = page.locator("#outcome")
    before = outcome.get_attribute("data-category")
    assert before == _category(rulebook, profiles["biotech"])
    expected = _category(rulebook, profiles["biotech"], economic=1)
    assert expected != before
    page.locator("#s-economic").fill("1")
    page.wait_for_selector(f'#outcome[data-category="{expected}"]', timeout=10_000)
    assert page.locator("#outcome .badge").inner_text().lower().startswith(expected.split("-")[0])
    assert "what-if scores for this domain: economic" in page.locator("#outcome").inner_text()
    page.locator("#reset-scores").click()
    page.wait_for_selector(f'#outcome[data-category="{before}"]', timeout=10_000)
    assert errors == []
    page.close()


@pytest.mark.slow  # waits for the page's two-second poll; CI runs it (pytest -m slow)
def test_a_participant_submission_shows_up_in_the_facilitator_view(browser, server):
    base, _ = server
    facilitator, errors = facilitator_page(browser, base)
    participant = browser.new_page(viewport={"width": 390, "height": 844})
    participant.goto(f"{base}/")
    participant.fill("#participant", "Noor")
    participant.select_option('select[name="biotech.economic"]', "2")
    participant.select_option('select[name="biotech.science"]', "++")
    participant.click("button[type=submit]")
    expect = playwright_api.expect
    expect(participant.locator("#status")).to_contain_text("Saved for round 1, Noor")
    # The facilitator's page polls the room every two seconds.
    expect(facilitator.locator("#room-body .who")).to_contain_text("Noor", timeout=10_000)
    assert "Biotechnology" in facilitator.locator("#room-body").inner_text()
    assert _participants(facilitator, base) == ["Noor"]
    # A bad submission says which field, and stores nothing.
    participant.fill("#participant", "   ")
    participant.click("button[type=submit]")
    expect(participant.locator("#status")).to_contain_text("participant: give a name")
    assert _participants(facilitator, base) == ["Noor"]
    assert errors == []
    participant.close()
    facilitator.close()


def test_a_profile_name_holding_a_script_renders_as_text(browser, server):
    base, _ = server
    page, errors = facilitator_page(browser, base, "evil")
    assert EVIL_NAME in page.locator("#domain h2").inner_text()
    assert page.evaluate("typeof window.pwned") == "undefined"
    chip = page.locator('.chip[data-domain="evil"]')
    assert EVIL_NAME in chip.inner_text()
    participant = browser.new_page()
    participant.goto(f"{base}/")
    assert EVIL_NAME in participant.locator("legend", has_text="Evil domain").inner_text()
    assert participant.evaluate("typeof window.pwned") == "undefined"
    assert errors == []
    page.close()
    participant.close()
