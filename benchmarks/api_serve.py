"""Benchmark the read API: `formline serve` under wrk, from another process on loopback.

For each store (the embedded SQLite default, and PostgreSQL with Redis) it builds a demo world
with the CLI (`ingest:demo`, `model:train --model-type elo`, `predict:run`), starts
`formline serve --workers 2`, and drives `GET /predictions` and `GET /predictions/matches/{id}`
(cycling through every match of the snapshot) with wrk, cached and uncached (the cache turned
off with API_CACHE_ENABLED=false). It reports requests/s, p50 and p99 latency, errors, and the
resident memory of an idle API worker, and rewrites its section of docs/benchmarks.md.

Then, per store, cached `GET /predictions` on ONE worker (`--workers 1`) against a bare uvicorn
app returning the same bytes and headers (same uvicorn, same loop and HTTP parser), driven by
`wrk -t1 -c16`: the two servers alternate for several rounds in the same run, and the figures
are medians over the rounds with the ratio beside them, and the server's CPU time per request
(user + system of the server process, from /proc, over the requests wrk completed), which the
load of other processes on a shared machine distorts far less than requests/s.

Needs wrk (`apt-get install wrk`); PostgreSQL and Redis at 127.0.0.1 for the second store.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from _common import POSTGRES_URL, machine, postgres_problem, write_section

REPO_ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("FORMLINE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
DEMO_NOW = "2025-11-06"
GOAL_RPS, GOAL_P99_MS, GOAL_RSS_MB = 2000.0, 10.0, 80.0
GOAL_BARE_RATIO = 0.8

#: The reference: uvicorn serving fixed bytes with fixed headers, nothing else.
BARE_APP = """
import sys
import uvicorn

body = open(sys.argv[1], "rb").read()
headers = [tuple(line.split(b": ", 1)) for line in open(sys.argv[2], "rb").read().splitlines()]
headers.append((b"content-length", str(len(body)).encode()))
start = {"type": "http.response.start", "status": 200, "headers": headers}
end = {"type": "http.response.body", "body": body}


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send(start)
    await send(end)


uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), access_log=False,
            log_level="warning", lifespan="off", ws="none")
"""

WRK_SCRIPT = """
local paths = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
"""


@dataclass
class Run:
    """One wrk measurement."""

    store: str
    endpoint: str
    cached: bool
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    busy_cores: float


def _formline(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "formline", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"formline {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def build_world(env: dict[str, str]) -> None:
    """A demo world with a deployed Elo model and its published snapshot, through the CLI."""
    if env["DATABASE_URL"].startswith("postgresql"):
        _formline("db:migrate", env=env)
    _formline("ingest:demo", "--now", DEMO_NOW, env=env)
    trained = _formline("model:train", "--as-of", DEMO_NOW, "--model-type", "elo", env=env)
    found = re.search(r"model (\d+):.*\((\w+)\)", trained)
    if found and found.group(2) != "deployed":
        _formline("model:promote", found.group(1), "--reason", "benchmark", env=env)
    print(_formline("predict:run", "--as-of", DEMO_NOW, "--horizon", "90", env=env).strip())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        body: bytes = response.read()
        return body


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found += [int(c) for c in children]
    return found


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) / 1024 if found else float("nan")


def _pss_mb(pid: int) -> float:
    """Proportional set size: shared pages (libraries, the interpreter) split between the
    processes that map them."""
    rollup = Path(f"/proc/{pid}/smaps_rollup")
    found = re.search(r"^Pss:\s+(\d+) kB", rollup.read_text(), re.M) if rollup.exists() else None
    return int(found.group(1)) / 1024 if found else float("nan")


def _busy_cores(seconds: float = 1.0) -> float:
    """Cores kept busy by other processes, sampled while this benchmark's server is idle."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields), idle

    total_0, idle_0 = sample()
    time.sleep(seconds)
    total_1, idle_1 = sample()
    cores = os.cpu_count() or 1
    return cores * (1 - (idle_1 - idle_0) / max(1, total_1 - total_0))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_ready(base: str, process: subprocess.Popen[bytes], path: str = "/health") -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            body = _get(f"{base}{path}")
            if path != "/health" or json.loads(body)["ready"]:
                return
        except OSError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"the server did not start ({' '.join(map(str, process.args))})")
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def server(env: dict[str, str], workers: int) -> Iterator[tuple[str, list[int]]]:
    """`formline serve` in a subprocess; yields its base URL and its worker pids (with one
    worker, the serving process itself)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "formline", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base, _children(process.pid) if workers > 1 else [process.pid]
    finally:
        _stop(process)


@contextmanager
def bare_server(folder: Path, body: bytes, headers: list[str]) -> Iterator[tuple[str, int]]:
    """The bare uvicorn app serving ``body`` with ``headers``; yields its base URL and pid."""
    (folder / "bare_body").write_bytes(body)
    (folder / "bare_headers").write_text("\r\n".join(headers))
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", BARE_APP, str(folder / "bare_body"), str(folder / "bare_headers"),
         str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, path="/predictions")
        yield base, process.pid
    finally:
        _stop(process)


def wrk(paths_file: Path, base: str, seconds: int, connections: int) -> dict[str, float]:
    """Run wrk against the paths listed in ``paths_file``; requests/s, p50, p99, errors."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        command = [
            "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s",
            "-s", script.name, base, str(paths_file),
        ]  # fmt: skip
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        Path(script.name).unlink()

    def latency(label: str) -> float:
        found = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not found:
            raise RuntimeError(f"no {label}% latency in wrk output:\n{out}")
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = sum(int(g) for g in socket_errors.groups()) if socket_errors else 0
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return {"rps": rps, "p50": latency("50"), "p99": latency("99"), "requests": total,
            "errors": errors}  # fmt: skip


@dataclass
class Versus:
    """Cached ``GET /predictions`` on one worker against the bare app, medians over rounds."""

    store: str
    rounds: int
    ours_rps: float
    bare_rps: float
    ours_p99_ms: float
    bare_p99_ms: float
    ours_cpu_us: float
    bare_cpu_us: float
    round_ratios: list[float]
    errors: int
    busy_cores: float

    @property
    def ratio(self) -> float:
        return self.ours_rps / self.bare_rps

    @property
    def cpu_ratio(self) -> float:
        return self.bare_cpu_us / self.ours_cpu_us


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def versus_bare(label: str, env: dict[str, str], folder: Path, seconds: int, rounds: int) -> Versus:
    """`formline serve --workers 1` and the bare app, alternating, under `wrk -t1 -c16`."""
    connections = 16
    paths_file = folder / "paths.txt"
    paths_file.write_text("/predictions\n")
    samples: dict[str, list[dict[str, float]]] = {"ours": [], "bare": []}
    with server(env, workers=1) as (base, pids):
        with urllib.request.urlopen(f"{base}/predictions", timeout=10) as response:
            body = response.read()
            keep = ("etag", "cache-control", "content-type")
            headers = [f"{k}: {v}" for k, v in response.headers.items() if k.lower() in keep]
        with bare_server(folder, body, headers) as (bare_base, bare_pid):
            assert _get(f"{bare_base}/predictions") == body
            targets = {"ours": (base, pids[0]), "bare": (bare_base, bare_pid)}
            for url, _ in targets.values():
                wrk(paths_file, url, 2, connections)  # warm-up
            load = _busy_cores()
            for round_ in range(rounds):
                order = ("ours", "bare") if round_ % 2 == 0 else ("bare", "ours")
                for name in order:
                    url, pid = targets[name]
                    cpu = _cpu_seconds(pid)
                    result = wrk(paths_file, url, seconds, connections)
                    result["cpu_us"] = (_cpu_seconds(pid) - cpu) / max(1, result["requests"]) * 1e6
                    samples[name].append(result)
                print(label, round_, {k: v[-1] for k, v in samples.items()})
    ours, bare = samples["ours"], samples["bare"]
    return Versus(
        store=label,
        rounds=rounds,
        ours_rps=_median([r["rps"] for r in ours]),
        bare_rps=_median([r["rps"] for r in bare]),
        ours_p99_ms=_median([r["p99"] for r in ours]),
        bare_p99_ms=_median([r["p99"] for r in bare]),
        ours_cpu_us=_median([r["cpu_us"] for r in ours]),
        bare_cpu_us=_median([r["cpu_us"] for r in bare]),
        round_ratios=[o["rps"] / b["rps"] for o, b in zip(ours, bare, strict=True)],
        errors=int(sum(r["errors"] for r in ours + bare)),
        busy_cores=load,
    )


def measure(
    label: str, env: dict[str, str], folder: Path, seconds: int, connections: int
) -> tuple[list[Run], dict[str, float]]:
    """Every endpoint, cached then uncached, on one store; and the idle worker's RSS."""
    runs: list[Run] = []
    memory: dict[str, float] = {}
    for cached in (True, False):
        server_env = {**env, "API_CACHE_ENABLED": "true" if cached else "false"}
        with server(server_env, workers=2) as (base, workers):
            time.sleep(2)  # idle: started, answered /health, nothing else
            if cached:
                memory["idle"] = max(_rss_mb(pid) for pid in workers)
                memory["idle pss"] = max(_pss_mb(pid) for pid in workers)
            snapshot = json.loads(_get(f"{base}/predictions"))
            match_ids = [p["match_id"] for p in snapshot["data"]]
            paths = {
                "GET /predictions": ["/predictions"],
                "GET /predictions/matches/{id}": [f"/predictions/matches/{i}" for i in match_ids],
            }
            for endpoint, urls in paths.items():
                paths_file = folder / "paths.txt"
                paths_file.write_text("\n".join(urls) + "\n")
                wrk(paths_file, base, 2, connections)  # warm-up: caches, pools, JIT of nothing
                load = _busy_cores()
                result = wrk(paths_file, base, seconds, connections)
                runs.append(
                    Run(label, endpoint, cached, result["rps"], result["p50"], result["p99"],
                        int(result["requests"]), int(result["errors"]), load)
                )  # fmt: skip
                print(runs[-1])
            if cached:
                memory["after load"] = max(_rss_mb(pid) for pid in workers)
                memory["n_predictions"] = len(match_ids)
                memory["body_kb"] = len(_get(f"{base}/predictions")) / 1024
    return runs, memory


def _versus_lines(versus: list[Versus], seconds: int) -> list[str]:
    if not versus:
        return []
    lines = [
        "",
        "### One worker against a bare uvicorn app",
        "",
        f"Cached `GET /predictions` on `formline serve --workers 1`, and a bare uvicorn app (the "
        "same uvicorn, loop and HTTP parser; one ASGI function sending the same body with the "
        "same ETag, Cache-Control and Content-Type) on another port, both driven by "
        f"`wrk -t1 -c16` ({seconds} s per round after a 2 s warm-up each), alternating in the "
        "same run (ours first in even rounds, bare first in odd ones). Medians over the rounds. "
        "*CPU per request*: user + system time of the server process over the run, divided by "
        "the requests wrk completed (wrk's own CPU is not in it).",
        "",
        "| store | rounds | ours req/s | bare req/s | ratio (goal >= "
        f"{GOAL_BARE_RATIO}) | per-round ratios | ours p99 ms | bare p99 ms | ours CPU us/req "
        "| bare CPU us/req | bare/ours CPU | errors | other work (cores busy) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for v in versus:
        per_round = ", ".join(f"{r:.2f}" for r in v.round_ratios)
        lines.append(
            f"| {v.store} | {v.rounds} | {v.ours_rps:,.0f} | {v.bare_rps:,.0f} | "
            f"**{v.ratio:.2f}** | {per_round} | {v.ours_p99_ms:.1f} | {v.bare_p99_ms:.1f} | "
            f"{v.ours_cpu_us:.0f} | {v.bare_cpu_us:.0f} | {v.cpu_ratio:.2f} | {v.errors} | "
            f"{v.busy_cores:.2f} |"
        )
    return lines


def _section(
    runs: list[Run],
    memory: dict[str, dict[str, float]],
    seconds: int,
    connections: int,
    versus: list[Versus] | None = None,
    versus_seconds: int = 5,
) -> str:
    versus = versus or []
    info = machine()
    loads = [r.busy_cores for r in runs] + [v.busy_cores for v in versus]
    shared = max(loads) > 0.3
    lines = [
        "## Read API (`formline serve`)",
        "",
        f"Written by `benchmarks/api_serve.py` on {info['date']}. `formline serve --workers 2` "
        f"in one process, wrk (`-t1 -c{connections}`, {seconds} s per row after a 2 s warm-up) "
        "in another, on loopback. The store holds the demo world (3 leagues x 20 teams x 6 "
        "seasons, now 2025-11-06) with a deployed Elo model and its published 90-day snapshot. "
        "`/predictions/matches/{id}` cycles through every match of the snapshot. *Cached*: "
        "the default settings, with the in-process cache (SQLite) or Redis behind an "
        "in-process tier (PostgreSQL); in steady state a repeated request is answered by the "
        "hot path (before routing) and the rest by the cache. *Uncached*: "
        "`API_CACHE_ENABLED=false`, every request queries the store and serialises. *Other "
        "work*: cores kept busy by processes outside this benchmark just before the row.",
        "",
        "| | value |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in info.items() if k not in ("DuckDB", "numba")),
        "",
        "| store | endpoint | cache | requests/s | p50 ms | p99 ms | requests | errors | "
        "other work (cores busy) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.store} | `{r.endpoint}` | {'cached' if r.cached else 'uncached'} | "
            f"{r.requests_per_s:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.requests:,} | "
            f"{r.errors} | {r.busy_cores:.2f} |"
        )
    lines += [
        "",
        "Memory of one API worker (the larger of the two), MB. RSS counts every page the worker "
        "maps, shared libraries included; PSS splits shared pages between the processes "
        "that map them (here the two workers and their parent).",
        "",
        "| store | RSS idle (started, /health answered) | PSS idle | RSS after the cached runs |",
        "|---|---|---|---|",
    ]
    for store, values in memory.items():
        lines.append(
            f"| {store} | {values['idle']:.1f} | {values['idle pss']:.1f} | "
            f"{values['after load']:.1f} |"
        )
    lines += _versus_lines(versus, versus_seconds)
    example = next(iter(memory.values()))
    lines += [
        "",
        f"The snapshot has {example['n_predictions']:.0f} predictions; the `/predictions` body is "
        f"{example['body_kb']:.0f} KB.",
        "",
        "### Against the goals",
        "",
    ]
    cached = [r for r in runs if r.cached]
    for r in cached:
        verdict = (
            "met"
            if r.requests_per_s >= GOAL_RPS and r.p99_ms <= GOAL_P99_MS and r.errors == 0
            else "not met"
        )
        lines.append(
            f"- {r.store}, `{r.endpoint}` cached: {r.requests_per_s:,.0f} req/s, p99 "
            f"{r.p99_ms:.1f} ms, {r.errors} errors: goal ({GOAL_RPS:,.0f} req/s, p99 <= "
            f"{GOAL_P99_MS:.0f} ms, no error) {verdict}."
        )
    for v in versus:
        lines.append(
            f"- {v.store}, one worker, cached `GET /predictions` against the bare uvicorn app: "
            f"{v.ratio:.2f}x its requests/s ({v.ours_rps:,.0f} against {v.bare_rps:,.0f}; CPU "
            f"per request {v.ours_cpu_us:.0f} us against {v.bare_cpu_us:.0f} us): goal (>= "
            f"{GOAL_BARE_RATIO}x) {'met' if v.ratio >= GOAL_BARE_RATIO else 'not met'}."
        )
    for store, values in memory.items():
        idle = values["idle"]
        lines.append(
            f"- {store}: idle worker RSS {idle:.1f} MB (PSS {values['idle pss']:.1f} MB): goal "
            f"(RSS <= {GOAL_RSS_MB:.0f} MB) {'met' if idle <= GOAL_RSS_MB else 'not met'}."
        )
    lines += [
        "",
        "What an idle worker on PostgreSQL + Redis no longer loads (it was 84.8 MB RSS on "
        "2026-12-02): `pydantic.v1` (about 1.5 MB; FastAPI imports it "
        "only to ask whether a response model is a v1 model, and `python -m formline.api` makes "
        "it unimportable in API processes), and the bodies of the in-process warm (with Redis "
        "the warm fills Redis; a worker's own tier fills as it reads). What is left is mostly "
        "code objects: SQLAlchemy Core (about 13 MB of Python heap), FastAPI + Pydantic + "
        "Starlette, uvicorn and the standard library it loads (asyncio, ssl, logging, click), "
        "psycopg with its bundled libpq and OpenSSL, and redis-py's asyncio client (about 5.5 MB: "
        "replacing it with a hand-written RESP client would meet 80 MB, but formline keeps the "
        "well-kept library).",
        "",
        "What the one-worker rows measure: a repeated read is answered in front of FastAPI's "
        "entry point (`FormlineAPI.__call__` -> `HotPath.answer`), with its requests counted "
        "in batches; the bytes, headers and statuses are those of the full path (tests/api/"
        "test_hot_path.py compares them, 304s and HEAD included).",
    ]
    if shared:
        lines += [
            "",
            f"The 2 cores were shared with other work while this ran: other processes kept "
            f"{min(loads):.2f} to {max(loads):.2f} cores busy (sampled for 1 s before each row, "
            "with the API idle), on top of the API's two workers and wrk itself. The figures "
            "are lower bounds for a machine that runs the API alone.",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per row")
    parser.add_argument("--connections", type=int, default=10, help="wrk connections")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-write", action="store_true", help="print, do not edit docs/")
    parser.add_argument("--rounds", type=int, default=6, help="rounds against the bare app")
    parser.add_argument(
        "--versus-seconds", type=int, default=5, help="wrk duration per round against the bare app"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    runs: list[Run] = []
    memory: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="formline-bench-api-") as tmp:
        folder = Path(tmp)
        base_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        base_env |= {"FORMLINE_HOME": str(folder / "home"), "COLUMNS": "200"}
        sqlite_env = {**base_env, "DATABASE_URL": f"sqlite:///{folder / 'formline.db'}"}
        build_world(sqlite_env)
        found, memory["SQLite (embedded)"] = measure(
            "SQLite (embedded)", sqlite_env, folder, args.seconds, args.connections
        )
        runs += found
        versus = [
            versus_bare("SQLite (embedded)", sqlite_env, folder, args.versus_seconds, args.rounds)
        ]
        problem = postgres_problem()
        if args.no_postgres or problem:
            print(f"PostgreSQL skipped: {problem or '--no-postgres'}")
        else:
            import psycopg

            schema = f"bench_api_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
            try:
                pg_env = {
                    **base_env,
                    "DATABASE_URL": f"{POSTGRES_URL}?options=-csearch_path%3D{schema}",
                    "REDIS_URL": REDIS_URL,
                    "API_CACHE_KEY_PREFIX": f"bench-{schema}",
                }
                build_world(pg_env)
                label = "PostgreSQL + Redis"
                found, memory[label] = measure(
                    label, pg_env, folder, args.seconds, args.connections
                )
                runs += found
                versus.append(versus_bare(label, pg_env, folder, args.versus_seconds, args.rounds))
            finally:
                with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                import redis

                client = redis.Redis.from_url(REDIS_URL)
                keys = list(client.scan_iter(f"bench-{schema}:*"))
                if keys:
                    client.delete(*keys)
    section = _section(runs, memory, args.seconds, args.connections, versus, args.versus_seconds)
    print(section)
    if not args.no_write:
        write_section("api_serve", section)


if __name__ == "__main__":
    main()
