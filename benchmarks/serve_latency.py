"""Latency of the workshop room's `POST /api/evaluate` on loopback, 50-domain portfolio.

The portfolio is the shipped one: the 12 sectors of domains/ and the 38 technologies of
domains/technologies/. The real server (uvicorn, in a thread of this process) answers a
real HTTP client over 127.0.0.1 with keep-alive, as the facilitator's page does.

Each request moves one or two scores of a randomly chosen domain to random values on the
scale (seeded), so nearly every request is computed afresh: the engine's walk, the
fragile flag and the margins. A second series repeats one request (the page's cache
answering), and a third asks for the nearest change to every other category as well
(the counterfactual search, which the page fetches after the outcome). Prints the
median, 95th percentile and maximum of each series in milliseconds. The target
(issue 11): p95 under 50 ms.

Run: python benchmarks/serve_latency.py [REQUESTS] [ENGINE]
"""

from __future__ import annotations

import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from decision.inputs.profiles import load_profiles
from decision.inputs.rulebook import load_rulebook, shipped_data_dir
from decision.web.app import create_app
from decision.web.room import Room


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _series(client: httpx.Client, url: str, bodies: list[dict]) -> list[float]:
    times = []
    for body in bodies:
        start = time.perf_counter()
        answer = client.post(url, json=body)
        times.append((time.perf_counter() - start) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"unexpected answer {answer.status_code}: {answer.text[:200]}")
    return times


def _line(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"{label}: median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms, max {ordered[-1]:.1f} ms "
        f"({len(ordered)} requests)"
    )


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    engine = sys.argv[2] if len(sys.argv) > 2 else None
    rulebook = load_rulebook(shipped_data_dir("rules")).with_engine(engine)
    domains = shipped_data_dir("domains")
    profiles = load_profiles([domains, domains / "technologies"], rulebook)
    with tempfile.TemporaryDirectory() as folder:
        room = Room(rulebook, profiles, Path(folder) / "room.sqlite")
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(room, room_code=None, facilitator_code="x"), host="127.0.0.1", port=port, log_level="error"
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        chooser = random.Random(11)
        names = list(rulebook.scores)
        ids = [p.id for p in profiles]
        fresh = []
        for _ in range(requests):
            moved = chooser.sample(names, chooser.choice([1, 2]))
            fresh.append({"id": chooser.choice(ids), "scores": {n: round(chooser.uniform(0, 5), 1) for n in moved}})
        url = f"http://127.0.0.1:{port}/api/evaluate"
        with httpx.Client(timeout=10) as client:
            _series(client, url, fresh[:20])  # warm-up: imports, first engine build
            computed = _series(client, url, fresh)
            repeated = _series(client, url, [fresh[0]] * requests)
            with_nearest = _series(client, url, [{**body, "nearest": True} for body in fresh[: requests // 4]])
        server.should_exit = True
        thread.join(timeout=10)
        room.close()
    print(f"portfolio: {len(profiles)} domains; engine {rulebook.engine or 'default'}; loopback, keep-alive")
    print(_line("POST /api/evaluate, scores moved (computed)", computed))
    print(_line("POST /api/evaluate, one request repeated (cached)", repeated))
    print(_line('POST /api/evaluate with "nearest": true (counterfactual per category)', with_nearest))


if __name__ == "__main__":
    main()
