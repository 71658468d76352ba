"""The ASGI application of ``decision serve``: pages, fragments and the JSON API over one
:class:`~decision.web.room.Room`.

Access (stated once; tests/test_serve.py checks each rule):

- A *room code* is required on every request when the server listens beyond loopback
  (``room_code`` not None): a ``code`` cookie, set by opening ``/?code=...``, or an
  ``X-Room-Code`` header. Without it: 401, and nothing is stored.
- The *facilitator code* is required, wherever the server listens, for the facilitator
  page and for changing thresholds, closing rounds, recording and exporting: a ``key``
  cookie (``/facilitator?key=...``) or an ``X-Facilitator-Code`` header. Without it: 403.
- Codes are compared in constant time. A code given in the address is moved into a
  cookie (HttpOnly, SameSite=Strict) and the address cleaned, so it does not stay on a
  projected screen.
- Every POST must be ``application/json`` (a cross-site form cannot send that) and at
  most ``MAX_BODY`` bytes. A bad value gets 422 with the field named; nothing is stored.

Computation is synchronous and quick (milliseconds); endpoints run it on the event loop,
one request at a time, so the engine and the store never see two requests at once.
"""

from __future__ import annotations

import hmac
import io
import json
import zipfile
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from decision.errors import DecisionError, FieldError
from decision.web import pages
from decision.web.room import Room

MAX_BODY = 256 * 1024
STATIC = {
    "room.css": "text/css; charset=utf-8",
    "room.js": "text/javascript; charset=utf-8",
    "sheet.js": "text/javascript; charset=utf-8",
}
SECURITY_HEADERS = {
    # Only our own files run: an escaped name that slipped through could still not load a script.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class HTTPProblem(Exception):
    def __init__(self, status: int, message: str, field: str | None = None):
        self.status, self.message, self.field = status, message, field


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def create_app(room: Room, *, room_code: str | None, facilitator_code: str) -> Starlette:
    """The application serving ``room``. ``room_code`` None: no room code needed (loopback)."""

    def allowed_in(request: Request) -> bool:
        if room_code is None or is_facilitator(request):
            return True
        return _same(request.cookies.get("code"), room_code) or _same(request.headers.get("x-room-code"), room_code)

    def is_facilitator(request: Request) -> bool:
        return _same(request.cookies.get("key"), facilitator_code) or _same(
            request.headers.get("x-facilitator-code"), facilitator_code
        )

    def need_facilitator(request: Request) -> None:
        if not is_facilitator(request):
            raise HTTPProblem(403, "only the facilitator can do this: open the facilitator address printed at start")

    async def body(request: Request) -> dict[str, Any]:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise HTTPProblem(415, "send the body as application/json")
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
            raise HTTPProblem(413, f"the body is larger than {MAX_BODY // 1024} KB")
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_BODY:
                raise HTTPProblem(413, f"the body is larger than {MAX_BODY // 1024} KB")
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            raise HTTPProblem(400, "the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise HTTPProblem(422, "expected a JSON object", "body")
        return data

    def guarded(handler, *, facilitator: bool = False, gate: bool = True):
        # gate=False: the page takes a code from its address first, then checks it itself.
        async def endpoint(request: Request) -> Response:
            try:
                if gate and not allowed_in(request):
                    raise HTTPProblem(401, "this room needs its code: open the address printed at start")
                if facilitator:
                    need_facilitator(request)
                response = await handler(request)
            except HTTPProblem as problem:
                content = {"error": problem.message}
                if problem.field is not None:
                    content["field"] = problem.field
                response = JSONResponse(content, status_code=problem.status)
            except FieldError as exc:
                response = JSONResponse({"error": exc.message, "field": exc.field}, status_code=422)
            except DecisionError as exc:
                response = JSONResponse({"error": str(exc).splitlines()[0]}, status_code=409)
            response.headers.update(SECURITY_HEADERS)
            return response

        return endpoint

    def with_code_cookie(name: str, value: str, target: str) -> Response:
        """Move a code from the address into a cookie, then show the clean address."""
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(name, value, httponly=True, samesite="strict")
        return response

    # -- pages

    async def participant(request: Request) -> Response:
        given = request.query_params.get("code")
        if room_code is not None and given is not None and _same(given, room_code):
            return with_code_cookie("code", given, "/")
        if not allowed_in(request):
            raise HTTPProblem(401, "this room needs its code: open the address printed at start")
        name = request.cookies.get("participant")
        round_number = room.current_round
        previous = room.sheets(round_number - 1) if round_number > 1 else None
        mine_before = mine_now = None
        if name:
            mine_now = room.own_sheet(round_number, name)
            if previous is not None:
                mine_before = room.own_sheet(round_number - 1, name)
        return HTMLResponse(pages.participant_page(room, name, previous, mine_before, mine_now))

    async def facilitator(request: Request) -> Response:
        given = request.query_params.get("key")
        if given is not None and _same(given, facilitator_code):
            rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "key"])
            response = with_code_cookie("key", given, "/facilitator" + (f"?{rest}" if rest else ""))
            if room_code is not None:  # the facilitator's address lets them in to the room as well
                response.set_cookie("code", room_code, httponly=True, samesite="strict")
            return response
        if not allowed_in(request):
            raise HTTPProblem(401, "this room needs its code: open the address printed at start")
        need_facilitator(request)
        first = request.query_params.get("domain") or next(iter(room.profiles))
        return HTMLResponse(pages.facilitator_page(room, room.evaluate(first)))

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            raise HTTPProblem(404, "no such file")
        data = files("decision.web").joinpath("static", name).read_bytes()
        return Response(data, media_type=STATIC[name])

    # -- fragments (the facilitator page swaps them in)

    def what_if_scores(request: Request) -> dict[str, str | float]:
        scores: dict[str, str | float] = {}
        for key, value in request.query_params.items():
            if key.startswith("s."):
                try:
                    scores[key[2:]] = float(value)
                except ValueError:
                    scores[key[2:]] = value  # a symbol (na: missing), checked by the room
        return scores

    async def fragment_domain(request: Request) -> Response:
        evaluation = room.evaluate(request.path_params["domain"], what_if_scores(request))
        return HTMLResponse(pages.domain_panel(room, evaluation))

    async def fragment_outcome(request: Request) -> Response:
        evaluation = room.evaluate(request.path_params["domain"], what_if_scores(request))
        return HTMLResponse(pages.outcome_fragment(room, evaluation))

    async def fragment_nearest(request: Request) -> Response:
        return HTMLResponse(
            pages.nearest_fragment(room.nearest(request.path_params["domain"], what_if_scores(request)))
        )

    async def fragment_portfolio(request: Request) -> Response:
        selected = request.query_params.get("selected")
        return HTMLResponse(pages.portfolio_panel(room, selected))

    async def fragment_thresholds(request: Request) -> Response:
        return HTMLResponse(pages.thresholds_panel(room))

    async def fragment_room(request: Request) -> Response:
        round_number = room.round_number(request.query_params.get("round"))
        return HTMLResponse(pages.room_fragment(room, round_number))

    async def fragment_banner(request: Request) -> Response:
        return HTMLResponse(pages.banner(room))

    # -- the JSON API

    async def api_portfolio(request: Request) -> Response:
        return JSONResponse(
            {
                "round": room.current_round,
                "thresholds": room.thresholds_json(),
                "domains": [r.model_dump(mode="json") for r in room.portfolio()],
            }
        )

    async def api_evaluate(request: Request) -> Response:
        data = await body(request)
        unknown = set(data) - {"id", "scores", "thresholds", "nearest"}
        if unknown:
            raise HTTPProblem(422, "unknown field (allowed: id, scores, thresholds, nearest)", sorted(unknown)[0])
        if "id" not in data:
            raise HTTPProblem(422, "give the domain's id", "id")
        want_nearest = data.get("nearest", False)
        if not isinstance(want_nearest, bool):
            raise HTTPProblem(422, "expected true or false", "nearest")
        given = (data["id"], data.get("scores") or {}, data.get("thresholds") or {})
        evaluation = room.evaluate(*given)
        return JSONResponse(evaluation.to_json(room.nearest(*given) if want_nearest else None))

    async def api_sheets(request: Request) -> Response:
        data = await body(request)
        unknown = set(data) - {"participant", "scores"}
        if unknown:
            raise HTTPProblem(422, "unknown field (allowed: participant, scores)", sorted(unknown)[0])
        round_number, name = room.submit(data.get("participant"), data.get("scores"))
        response = JSONResponse({"round": round_number, "participant": name, "stored": True}, status_code=201)
        response.set_cookie("participant", name, httponly=True, samesite="strict")
        return response

    async def api_workshop(request: Request) -> Response:
        return JSONResponse(room.workshop_json(room.round_number(request.query_params.get("round"))))

    async def api_rounds(request: Request) -> Response:
        return JSONResponse({"current": room.current_round, "rounds": [r.to_json() for r in room.rounds()]})

    async def api_thresholds(request: Request) -> Response:
        data = await body(request)
        unknown = set(data) - {"thresholds"}
        if unknown:
            raise HTTPProblem(422, "unknown field (allowed: thresholds)", sorted(unknown)[0])
        room.set_thresholds(data.get("thresholds", {}))
        return JSONResponse({"thresholds": room.thresholds_json()})

    async def api_close(request: Request) -> Response:
        data = await body(request)
        unknown = set(data) - {"record", "by"}
        if unknown:
            raise HTTPProblem(422, "unknown field (allowed: record, by)", sorted(unknown)[0])
        record = data.get("record", False)
        if not isinstance(record, bool):
            raise HTTPProblem(422, "expected true or false", "record")
        by = data.get("by", "facilitator")
        if not isinstance(by, str) or not by.strip() or len(by) > 60:
            raise HTTPProblem(422, "expected a name of 1-60 characters", "by")
        return JSONResponse(room.close_round(record=record, by=by.strip()))

    async def export_sheets(request: Request) -> Response:
        round_number = room.round_number(request.path_params["round"])
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in room.sheet_files(round_number).items():
                archive.writestr(f"round-{round_number}/{name}", data)
        return Response(
            buffer.getvalue(),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="room-round-{round_number}-sheets.zip"'},
        )

    async def export_handout(request: Request) -> Response:
        round_number = room.round_number(request.path_params["round"])
        return PlainTextResponse(
            pages.handout_markdown(room, round_number),
            media_type="text/markdown; charset=utf-8",
            headers={"Content-Disposition": f'inline; filename="room-round-{round_number}.md"'},
        )

    routes = [
        Route("/", guarded(participant, gate=False), methods=["GET"]),
        Route("/facilitator", guarded(facilitator, gate=False), methods=["GET"]),
        Route("/static/{name}", guarded(static), methods=["GET"]),
        Route("/fragment/domain/{domain}", guarded(fragment_domain, facilitator=True), methods=["GET"]),
        Route("/fragment/outcome/{domain}", guarded(fragment_outcome, facilitator=True), methods=["GET"]),
        Route("/fragment/nearest/{domain}", guarded(fragment_nearest, facilitator=True), methods=["GET"]),
        Route("/fragment/portfolio", guarded(fragment_portfolio, facilitator=True), methods=["GET"]),
        Route("/fragment/thresholds", guarded(fragment_thresholds, facilitator=True), methods=["GET"]),
        Route("/fragment/room", guarded(fragment_room, facilitator=True), methods=["GET"]),
        Route("/fragment/banner", guarded(fragment_banner, facilitator=True), methods=["GET"]),
        Route("/api/portfolio", guarded(api_portfolio), methods=["GET"]),
        Route("/api/evaluate", guarded(api_evaluate), methods=["POST"]),
        Route("/api/sheets", guarded(api_sheets), methods=["POST"]),
        Route("/api/workshop", guarded(api_workshop), methods=["GET"]),
        Route("/api/rounds", guarded(api_rounds), methods=["GET"]),
        Route("/api/thresholds", guarded(api_thresholds, facilitator=True), methods=["POST"]),
        Route("/api/rounds/close", guarded(api_close, facilitator=True), methods=["POST"]),
        Route("/export/sheets/{round}.zip", guarded(export_sheets, facilitator=True), methods=["GET"]),
        Route("/export/handout/{round}.md", guarded(export_handout, facilitator=True), methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.room = room
    return app
