"""The workshop room (`decision serve`) through its JSON API, with Starlette's TestClient.

The page's numbers must be the CLI's numbers: the portfolio is `classify -f json`, an
evaluation is `explain -f json` plus margins, the room is `workshop -f json` on the
exported sheets. Every bad request is refused with a 4xx naming the field, and stores
nothing. The browser tests are in tests/test_serve_browser.py.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient

from decision.analyses.margins import domain_margins, with_fragility
from decision.cli.commands.serve import is_loopback
from decision.engine.walk import Engine, classify_all
from decision.inputs.profiles import load_profiles
from decision.web.app import MAX_BODY, create_app
from decision.web.room import Room, RoomStoreError
from tests.conftest import CLI_ENV, DOMAINS_DIR, REPO, write

FACILITATOR = {"X-Facilitator-Code": "fac-code"}


@pytest.fixture
def profiles(rulebook):
    return load_profiles([DOMAINS_DIR], rulebook)


@pytest.fixture
def room(rulebook, profiles, tmp_path):
    room = Room(rulebook, profiles, tmp_path / "room.sqlite")
    yield room
    room.close()


@pytest.fixture
def client(room):
    return TestClient(create_app(room, room_code=None, facilitator_code="fac-code"))


def sheet(client, participant, scores, **headers):
    return client.post("/api/sheets", json={"participant": participant, "scores": scores}, headers=headers)


# --- the numbers are the CLI's -------------------------------------------------------------


def test_portfolio_is_classify_json_plus_the_thresholds(client, rulebook, profiles):
    answer = client.get("/api/portfolio")
    assert answer.status_code == 200
    data = answer.json()
    expected = with_fragility(rulebook, profiles, classify_all(profiles, rulebook))
    assert data["domains"] == [r.model_dump(mode="json") for r in expected]
    assert {n: t["value"] for n, t in data["thresholds"].items()} == {
        n: t.value for n, t in rulebook.thresholds.items()
    }
    assert {t["origin"] for t in data["thresholds"].values()} == {"rules"}


def test_evaluate_is_explain_json_plus_margins(client, rulebook, profiles):
    profile = next(p for p in profiles if p.id == "biotech")
    data = client.post("/api/evaluate", json={"id": "biotech", "scores": {}, "thresholds": {}, "nearest": True}).json()
    expected = with_fragility(rulebook, [profile], [Engine(rulebook).classify(profile)])[0].model_dump(mode="json")
    assert {k: v for k, v in data.items() if k not in ("margins", "nearest")} == expected
    assert data["margins"] == domain_margins(rulebook, [profile])[0].model_dump(mode="json")
    # Every nearest change lands where it says, in another category, confirmed by the engine.
    assert data["nearest"], "biotech can be moved to some other category"
    for answer in data["nearest"]:
        assert answer["status"] == "found"
        assert answer["result"]["category"] == answer["target"].split("/")[0] != data["category"]


def test_evaluate_with_changed_scores_and_thresholds(client, rulebook, profiles):
    before = client.post("/api/evaluate", json={"id": "biotech"}).json()
    after = client.post("/api/evaluate", json={"id": "biotech", "scores": {"economic": "--"}}).json()
    assert after["scores"]["economic"]["value"] == 1
    assert after["scores"]["economic"]["origin"] == "room"
    assert after["category"] != before["category"]
    # A hypothetical threshold is the room's what-if only: the portfolio keeps the rules.
    raised = client.post("/api/evaluate", json={"id": "biotech", "thresholds": {"economic": 5}}).json()
    assert raised["thresholds"]["economic"]["value"] == 5
    assert raised["thresholds"]["economic"]["origin"] == "room"
    assert client.get("/api/portfolio").json()["thresholds"]["economic"]["origin"] == "rules"


def test_the_facilitators_thresholds_move_the_portfolio(client, rulebook):
    before = {d["id"]: d["category"] for d in client.get("/api/portfolio").json()["domains"]}
    answer = client.post("/api/thresholds", json={"thresholds": {"economic": 1}}, headers=FACILITATOR)
    assert answer.status_code == 200
    data = client.get("/api/portfolio").json()
    assert data["thresholds"]["economic"] == {
        "value": 1.0,
        "op": ">=",
        "origin": "room",
        "meaning": rulebook.thresholds["economic"].meaning,
        "rules": rulebook.thresholds["economic"].value,
    }
    after = {d["id"]: d["category"] for d in data["domains"]}
    assert after != before
    assert "threshold economic is 1 (rules: 4)" in client.get("/fragment/banner", headers=FACILITATOR).text
    client.post("/api/thresholds", json={"thresholds": {}}, headers=FACILITATOR)
    assert {d["id"]: d["category"] for d in client.get("/api/portfolio").json()["domains"]} == before
    assert client.get("/fragment/banner", headers=FACILITATOR).text == ""


def test_workshop_is_the_cli_on_the_exported_sheets(client, run_cli, tmp_path):
    sheet(client, "An", {"biotech": {"economic": 4, "science": "++"}, "semiconductors": {"economic": 2}})
    sheet(client, "Bram", {"biotech": {"economic": 2, "science": 3, "feasibility": "na"}})
    room_json = client.get("/api/workshop").json()
    assert room_json["participants"] == ["An", "Bram"]
    archive = client.get("/export/sheets/1.zip", headers=FACILITATOR)
    assert archive.status_code == 200
    zipfile.ZipFile(io.BytesIO(archive.content)).extractall(tmp_path / "export")
    cli = run_cli("workshop", "--sheets", tmp_path / "export" / "round-1", "--format", "json")
    assert cli.exit_code == 0, cli.stderr
    cli_json = json.loads(cli.stdout)
    assert cli_json["participants"] == room_json["participants"]

    def numbers(domains):
        return [
            (
                d["id"],
                d["outcome"],
                {n: (s["median"], s["values"]) for n, s in d["scores"].items()},
                d["disagreements"],
                d["result"]["leaf"],
            )
            for d in domains
        ]

    assert numbers(cli_json["domains"]) == numbers(room_json["domains"])
    # How sure the room is: exactly what `decision robustness --sheets` says of the same sheets.
    robust = run_cli("robustness", "--sheets", tmp_path / "export" / "round-1", "--format", "json")
    assert robust.exit_code == 0, robust.stderr
    exact = {d["id"]: d["categories"] for d in json.loads(robust.stdout)["domains"]}
    assert json.loads(robust.stdout)["domains"][0]["method"] == "exact"
    assert {d["id"]: d["room_shares"] for d in room_json["domains"]} == exact
    assert abs(sum(exact["biotech"].values()) - 1) < 1e-9 and len(exact["biotech"]) > 1
    mattering = [d for d in room_json["domains"][0]["disagreements"] if d["matters"]]
    assert mattering, "An's and Bram's economic scores put biotech in different categories"


# --- rounds, restarts, records ---------------------------------------------------------


def test_sheets_survive_a_restart(rulebook, profiles, tmp_path):
    store = tmp_path / "room.sqlite"
    first = Room(rulebook, profiles, store)
    first.submit("An", {"biotech": {"economic": 4}})
    first.set_thresholds({"science": 4.5})
    first.close()
    again = Room(rulebook, profiles, store)
    try:
        assert again.sheets().participants == ["An"]
        assert again.rulebook.thresholds["science"].value == 4.5
        assert again.workshop_json()["domains"][0]["scores"]["economic"]["median"] == 4
    finally:
        again.close()


def test_a_later_submission_replaces_the_first(client):
    sheet(client, "An", {"biotech": {"economic": 4}})
    sheet(client, "An", {"biotech": {"economic": 2}})
    data = client.get("/api/workshop").json()
    assert data["participants"] == ["An"]
    assert data["domains"][0]["scores"]["economic"]["values"] == {"An": 2.0}


def test_rounds_show_the_spread_and_own_previous_answer(client):
    assert sheet(client, "An", {"biotech": {"economic": 4}}).status_code == 201
    sheet(client, "Bram", {"biotech": {"economic": 2}})
    closed = client.post("/api/rounds/close", json={"record": False}, headers=FACILITATOR).json()
    assert closed == {"closed": 1, "opened": 2, "recorded": None, "store": closed["store"]}
    rounds = client.get("/api/rounds").json()
    assert rounds["current"] == 2 and rounds["rounds"][0]["closed_at"] is not None
    # The client still carries An's participant cookie from the first submission... and then Bram's.
    client.cookies.set("participant", "An")
    page = client.get("/").text
    assert "room: 2-4, median 3 (n=2) · you: 4" in page
    assert client.get("/api/workshop").json()["participants"] == []
    assert client.get("/api/workshop?round=1").json()["participants"] == ["An", "Bram"]


def test_a_recorded_round_verifies_from_its_stored_sheets(client, room, run_cli):
    sheet(client, "An", {"biotech": {"economic": 4}, "chemicals": {"science": 2}})
    sheet(client, "Bram", {"biotech": {"economic": 2}})
    client.post("/api/thresholds", json={"thresholds": {"science": 3.5}}, headers=FACILITATOR)
    closed = client.post("/api/rounds/close", json={"record": True, "by": "Facilitator"}, headers=FACILITATOR)
    assert closed.status_code == 200, closed.text
    assert closed.json()["recorded"] == 1
    folder = room.sheets_folder(1)
    assert sorted(p.name for p in folder.iterdir()) == ["An.yaml", "Bram.yaml"]
    verified = run_cli("audit", "verify", "--store", room.store, "--format", "json")
    assert verified.exit_code == 0, verified.stdout + verified.stderr
    record = json.loads(run_cli("audit", "show", "1", "--store", room.store, "--format", "json").stdout)
    assert record["command"] == "workshop"
    assert record["thresholds"]["science"]["origin"] == "room"
    # Round 2 has no sheets: nothing to record.
    empty = client.post("/api/rounds/close", json={"record": True}, headers=FACILITATOR)
    assert empty.status_code == 422 and empty.json()["field"] == "record"
    # A sheets folder already there is never overwritten; the round stays open, nothing is written.
    sheet(client, "An", {"biotech": {"economic": 3}})
    write(room.sheets_folder(2) / "notes.txt", "someone else's\n")
    refused = client.post("/api/rounds/close", json={"record": True}, headers=FACILITATOR)
    assert refused.status_code == 409 and "already holds sheets" in refused.json()["error"]
    assert room.current_round == 2
    assert sorted(p.name for p in room.sheets_folder(2).iterdir()) == ["notes.txt"]


def test_a_store_that_is_not_a_room_is_refused(rulebook, profiles, tmp_path):
    bad = write(tmp_path / "notes.sqlite", "just some text\n")
    with pytest.raises(Exception, match="not a decision audit store"):
        Room(rulebook, profiles, bad)


def test_a_hand_edited_store_fails_at_start_naming_the_row(rulebook, profiles, tmp_path):
    import sqlite3

    store = tmp_path / "room.sqlite"
    Room(rulebook, profiles, store).close()
    with sqlite3.connect(store) as db:
        db.execute("INSERT INTO room_sheets VALUES (1, 'Eve', 'now', '{\"biotech\": {\"economic\": 9}}')")
    with pytest.raises(
        RoomStoreError, match=r"round 1, participant 'Eve': scores.biotech.economic: score 9 is outside"
    ):
        Room(rulebook, profiles, store)


# --- bad requests: 4xx naming the field, nothing stored -----------------------------------

BAD_REQUESTS = [
    # (id, path, json body, status, field or error text)
    ("unknown-domain", "/api/evaluate", {"id": "biotek"}, 422, "id"),
    ("no-id", "/api/evaluate", {"scores": {}}, 422, "id"),
    ("unknown-score", "/api/evaluate", {"id": "biotech", "scores": {"economc": 3}}, 422, "scores.economc"),
    ("off-scale", "/api/evaluate", {"id": "biotech", "scores": {"economic": 7}}, 422, "scores.economic"),
    ("boolean-score", "/api/evaluate", {"id": "biotech", "scores": {"economic": True}}, 422, "scores.economic"),
    ("unknown-symbol", "/api/evaluate", {"id": "biotech", "scores": {"economic": "+++"}}, 422, "scores.economic"),
    ("mapping-score", "/api/evaluate", {"id": "biotech", "scores": {"economic": {"value": 3}}}, 422, "scores.economic"),
    ("threshold-name", "/api/evaluate", {"id": "biotech", "thresholds": {"sciense": 3}}, 422, "thresholds.sciense"),
    ("threshold-scale", "/api/evaluate", {"id": "biotech", "thresholds": {"science": -1}}, 422, "thresholds.science"),
    ("extra-field", "/api/evaluate", {"id": "biotech", "set": {}}, 422, "set"),
    ("scores-not-map", "/api/evaluate", {"id": "biotech", "scores": [1]}, 422, "scores"),
    ("no-name", "/api/sheets", {"participant": " ", "scores": {"biotech": {"economic": 3}}}, 422, "participant"),
    ("name-number", "/api/sheets", {"participant": 3, "scores": {"biotech": {"economic": 3}}}, 422, "participant"),
    ("name-path", "/api/sheets", {"participant": "../x", "scores": {"biotech": {"economic": 3}}}, 422, "participant"),
    ("name-long", "/api/sheets", {"participant": "a" * 61, "scores": {"biotech": {"economic": 3}}}, 422, "participant"),
    (
        "name-newline",
        "/api/sheets",
        {"participant": "a\nb", "scores": {"biotech": {"economic": 3}}},
        422,
        "participant",
    ),
    ("empty-sheet", "/api/sheets", {"participant": "An", "scores": {}}, 422, "scores"),
    ("sheet-domain", "/api/sheets", {"participant": "An", "scores": {"biotek": {"economic": 3}}}, 422, "scores.biotek"),
    (
        "sheet-value",
        "/api/sheets",
        {"participant": "An", "scores": {"biotech": {"economic": 3, "science": 5.5}}},
        422,
        "scores.biotech.science",
    ),
    (
        "sheet-range",
        "/api/sheets",
        {"participant": "An", "scores": {"biotech": {"economic": {"value": 3, "low": 2, "high": 4}}}},
        422,
        "scores.biotech.economic",
    ),
    ("not-an-object", "/api/sheets", ["An"], 422, "body"),
]


@pytest.mark.parametrize(
    ("path", "body", "status", "field"), [c[1:] for c in BAD_REQUESTS], ids=[c[0] for c in BAD_REQUESTS]
)
def test_a_bad_body_is_refused_naming_the_field(client, room, path, body, status, field):
    answer = client.post(path, json=body)
    assert answer.status_code == status
    assert answer.json()["field"] == field
    assert answer.json()["error"]
    assert room.sheets().sheets == ()


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b'{"id": "biotech"', {"Content-Type": "application/json"}, 400),
        (b'{"id": "biotech"}', {"Content-Type": "text/plain"}, 415),
        (b"id=biotech", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
        (b"[" * 200_000 + b"]" * 200_000, {"Content-Type": "application/json"}, 413),
        (b"[" * 50_000 + b"]" * 50_000, {"Content-Type": "application/json"}, 400),
        (b'{"id": "biotech", "scores": {"economic": NaN}}', {"Content-Type": "application/json"}, 422),
    ],
    ids=["truncated", "text-plain", "form", "too-large", "too-deep", "nan"],
)
def test_malformed_bodies_are_refused(client, room, content, headers, status):
    assert len(content) <= 2 * MAX_BODY or status == 413
    answer = client.post("/api/evaluate", content=content, headers=headers)
    assert answer.status_code == status, answer.text
    answer = client.post("/api/sheets", content=content, headers=headers)
    assert answer.status_code in (status, 422)
    assert room.sheets().sheets == ()


# --- access ---------------------------------------------------------------------------------

ROOM_ROUTES = [
    ("GET", "/", None),
    ("GET", "/static/room.css", None),
    ("GET", "/api/portfolio", None),
    ("POST", "/api/evaluate", {"id": "biotech"}),
    ("POST", "/api/sheets", {"participant": "Eve", "scores": {"biotech": {"economic": 3}}}),
    ("GET", "/api/workshop", None),
    ("GET", "/api/rounds", None),
]
FACILITATOR_ROUTES = [
    ("GET", "/facilitator", None),
    ("GET", "/fragment/room", None),
    ("GET", "/fragment/domain/biotech", None),
    ("POST", "/api/thresholds", {"thresholds": {"science": 1}}),
    ("POST", "/api/rounds/close", {"record": False}),
    ("GET", "/export/sheets/1.zip", None),
    ("GET", "/export/handout/1.md", None),
]


def call(client, method, path, body, headers=None):
    if method == "GET":
        return client.get(path, headers=headers or {}, follow_redirects=False)
    return client.post(path, json=body, headers=headers or {})


@pytest.mark.parametrize(("method", "path", "body"), ROOM_ROUTES + FACILITATOR_ROUTES)
def test_beyond_loopback_every_request_needs_the_room_code(room, method, path, body):
    client = TestClient(create_app(room, room_code="room-code", facilitator_code="fac-code"))
    assert call(client, method, path, body).status_code == 401
    assert call(client, method, path, body, {"X-Room-Code": "room-codf"}).status_code == 401
    assert room.sheets().sheets == () and room.current_round == 1
    assert not room.thresholds_changed


@pytest.mark.parametrize(("method", "path", "body"), ROOM_ROUTES)
def test_the_room_code_lets_a_participant_in(room, method, path, body):
    client = TestClient(create_app(room, room_code="room-code", facilitator_code="fac-code"))
    assert call(client, method, path, body, {"X-Room-Code": "room-code"}).status_code in (200, 201)


def test_the_code_in_the_address_becomes_a_cookie(room):
    client = TestClient(create_app(room, room_code="room-code", facilitator_code="fac-code"))
    moved = client.get("/?code=room-code", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/"
    assert "HttpOnly" in moved.headers["set-cookie"] and "SameSite=strict" in moved.headers["set-cookie"]
    assert client.get("/").status_code == 200
    assert client.get("/api/portfolio").status_code == 200
    assert client.get("/?code=wrong", follow_redirects=False).status_code == 200  # the cookie still holds
    assert TestClient(create_app(room, room_code="room-code", facilitator_code="f")).get("/?code=x").status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), FACILITATOR_ROUTES)
def test_only_the_facilitator_changes_the_room(client, room, method, path, body):
    assert call(client, method, path, body).status_code == 403
    assert call(client, method, path, body, {"X-Facilitator-Code": "fac-codf"}).status_code == 403
    assert room.current_round == 1 and not room.thresholds_changed
    assert call(client, method, path, body, FACILITATOR).status_code in (200, 303)


def test_the_facilitator_address_keeps_the_chosen_domain(client):
    moved = client.get("/facilitator?key=fac-code&domain=pharma", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/facilitator?domain=pharma"
    page = client.get("/facilitator?domain=pharma")
    assert 'data-domain="pharma" aria-label="selected domain"' in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.20", False),
        ("::", False),
        ("room.example", False),
    ],
)
def test_which_addresses_need_a_room_code(host, loopback):
    assert is_loopback(host) is loopback


# --- escaping -------------------------------------------------------------------------------

HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
HOSTILE_NAME = "<img src=x onerror=alert(1)>Eve"  # a name may not hold "/"


def test_profile_and_participant_text_is_escaped(rulebook, tmp_path):
    folder = tmp_path / "domains"
    write(
        folder / "evil.yaml",
        f"id: evil\nname: '{HOSTILE}'\ndescription: '{HOSTILE} | [x](javascript:alert(1))'\n"
        "scores:\n  economic: 4\n  innovation: 4\n  technology: 4\n  science: 4\n"
        "  opportunity: 4\n  transition: 4\n  feasibility: 4\n",
    )
    room = Room(rulebook, load_profiles([folder], rulebook), tmp_path / "room.sqlite")
    try:
        client = TestClient(create_app(room, room_code=None, facilitator_code="fac-code"))
        assert sheet(client, HOSTILE_NAME, {"evil": {"economic": 2}}).status_code == 201
        sheet(client, "Bo", {"evil": {"economic": 5}})
        pages = [
            client.get("/").text,
            client.get("/facilitator", headers=FACILITATOR).text,
            client.get("/fragment/room", headers=FACILITATOR).text,
        ]
        for page in pages:
            assert "<script>window" not in page and "<img src=x" not in page
        assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in pages[1]
        assert "<img" not in pages[2] and "&lt;img src=x onerror=alert(1)&gt;Eve" in pages[2]
        handout = client.get("/export/handout/1.md", headers=FACILITATOR).text
        assert "<script" not in handout and "<img" not in handout and "&lt;script" in handout
    finally:
        room.close()


# --- the command ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_prints_the_addresses_and_stops_on_ctrl_c(tmp_path):
    import httpx

    port = free_port()
    env = {**os.environ, **CLI_ENV, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from decision.cli.app import main; main()",
            "serve",
            "--port",
            str(port),
            "--store",
            str(tmp_path / "r.sqlite"),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        assert lines[1] == f"participants: http://127.0.0.1:{port}/\n"
        assert lines[2].startswith(f"facilitator:  http://127.0.0.1:{port}/facilitator?key=")
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/portfolio", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert answer.status_code == 200 and len(answer.json()["domains"]) == 12
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        assert "Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()


def test_serve_on_a_store_that_is_not_one_is_one_line_and_exit_2(run_cli, tmp_path):
    bad = write(tmp_path / "x.sqlite", "not sqlite\n")
    result = run_cli("serve", "--store", bad, "--port", "1")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "not a decision audit store" in result.stderr


def test_serve_without_the_web_extra_says_how_to_install_it(run_cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if `pip install .` without [serve]
    result = run_cli("serve")
    assert result.exit_code == 2
    assert (
        result.stderr
        == "error: decision serve needs the web extra (uvicorn is not installed): pip install 'decision[serve]'\n"
    )


def test_serve_on_a_taken_port_says_so_before_printing_addresses(run_cli, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", port, "--store", tmp_path / "r.sqlite")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert not (tmp_path / "r.sqlite").exists()
