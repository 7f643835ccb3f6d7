"""Peak memory of `formline ingest:football-data` on hostile and on large valid files.

Each case generates a file of a given size (junk text, junk rows under a valid header, a line
without end, a gzip bomb, valid rows), runs the CLI on it in a subprocess with a fresh embedded
store and the default limits, and records its exit code, first line of error, wall time and
peak resident memory (from ``wait4``). Valid files are also loaded by the code of --baseline
(default: where this branch left ``main``, exported with ``git archive`` into a temporary
folder and put first on ``PYTHONPATH``), up to --baseline-max-mb, and the two runs' printed
reports compared. Every run is bounded in time (killed after --timeout seconds). Writes its
section of docs/benchmarks.md.

    .venv/bin/python benchmarks/ingest_memory.py [--quick] [--no-docs] [--baseline REF]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from _common import FOOTBALL_ODDS, REPO_ROOT, markdown_table, publish

MB = 1 << 20
HEADER = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HS,AS,B365H,B365D,B365A"


def junk_text(path: Path, size: int) -> Path:
    """Random printable lines, no header a football-data file would have."""
    rng = random.Random(1)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789,;. "
    line = "".join(rng.choice(alphabet) for _ in range(4096))
    with path.open("w") as out:
        for i in range(size // 100):
            start = i % 4000
            out.write(line[start : start + 99] + "\n")
    return path


def junk_rows(path: Path, size: int) -> Path:
    """A valid header over rows whose every cell is junk: stopped by INGEST_MAX_REJECTS."""
    row = ",".join(["zz"] * 12)
    with path.open("w") as out:
        out.write(HEADER + "\n")
        for _ in range(size // (len(row) + 1)):
            out.write(row + "\n")
    return path


def endless_line(path: Path, size: int) -> Path:
    """A valid header, one row, then one line of ``size`` bytes: stopped by INGEST_MAX_LINE_KB."""
    with path.open("w") as out:
        out.write(HEADER + "\nE0,10/08/2019,A,B,1,0,H,3,4,2.0,3.0,4.0\n")
        block = "x" * MB
        for _ in range(size // MB):
            out.write(block)
        out.write("\n")
    return path


def gzip_bomb(path: Path, size: int) -> Path:
    """A gzip of valid-looking rows that decompresses to ``size`` bytes: INGEST_MAX_FILE_MB."""
    rows = "".join(f"E0,10/08/2019,T{i},U{i},1,0,H,3,4,2.0,3.0,4.0\n" for i in range(20_000))
    block = rows.encode()
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip container
    with path.open("wb") as out:
        out.write(packer.compress((HEADER + "\n").encode()))
        for _ in range(size // len(block)):
            out.write(packer.compress(block))
        out.write(packer.flush())
    return path


def valid_rows(path: Path, size: int) -> Path:
    """Copies of a real season (E0 2022-23, 106 columns) with renamed teams, up to ``size``."""
    source = FOOTBALL_ODDS / "seasons" / "E0_2223.csv"
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    header, body = lines[0], lines[1:]
    columns = header.split(",")
    home, away = columns.index("HomeTeam"), columns.index("AwayTeam")
    written = 0
    with path.open("w") as out:
        out.write(header + "\n")
        copy = 0
        while written < size:
            for line in body:
                cells = line.split(",")
                cells[home], cells[away] = f"{cells[home]} {copy}", f"{cells[away]} {copy}"
                text = ",".join(cells) + "\n"
                out.write(text)
                written += len(text)
            copy += 1
    return path


CASES: list[tuple[str, str, Callable[[Path, int], Path]]] = [
    ("junk text, no header", "junk.csv", junk_text),
    ("junk rows, valid header", "E0.csv", junk_rows),
    ("one endless line", "E0.csv", endless_line),
    ("gzip bomb (decompressed size)", "E0.csv.gz", gzip_bomb),
    ("valid rows (E0 2022-23 copies)", "E0.csv", valid_rows),
]


def run_bounded(
    args: list[str], env: dict[str, str], timeout: float, out: Path | None = None
) -> tuple[int, float, float, str]:
    """Run ``args``; return (exit code, seconds, peak RSS in MB, first stderr line). Standard
    output goes to ``out`` if given."""
    with tempfile.TemporaryFile() as err, Path(out or os.devnull).open("wb") as stdout:
        start = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=stdout, stderr=err)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        err.seek(0)
        lines = err.read().decode(errors="replace").strip().splitlines()
    code = os.waitstatus_to_exitcode(status)
    return code, seconds, usage.ru_maxrss / 1024, (lines[-1] if lines else "")


def export_source(ref: str, folder: Path) -> Path | None:
    """The ``src`` folder of git revision ``ref``, unpacked into ``folder`` (None if git fails)."""
    found = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", ref, "src"], capture_output=True, check=False
    )
    if found.returncode:
        return None
    with tarfile.open(fileobj=io.BytesIO(found.stdout)) as archive:
        archive.extractall(folder, filter="data")
    return folder / "src"


def report_lines(path: Path, name: str) -> list[str]:
    """The summary lines an ingest printed (its counts), with the file's path made neutral."""
    lines = path.read_text(errors="replace").replace(name, "FILE").splitlines()
    return [line.strip() for line in lines if line.strip()]


def valid_sizes(
    base: Path, sizes: list[int], baseline: Path | None, baseline_max_mb: int, timeout: float
) -> list[dict[str, object]]:
    """Valid files of ``sizes`` MB, loaded by this tree and (up to ``baseline_max_mb``) by the
    baseline's code: peak RSS, seconds, rows per second, and whether the reports agree."""
    rows: list[dict[str, object]] = []
    for mb in sizes:
        folder = base / f"valid-{mb}"
        folder.mkdir()
        path = valid_rows(folder / "E0.csv", mb * MB)
        with path.open("rb") as lines:
            n_rows = sum(1 for _ in lines) - 1
        codes = [("this branch", None)]
        if baseline is not None and mb <= baseline_max_mb:
            codes.insert(0, ("baseline", baseline))
        printed: dict[str, list[str]] = {}
        for code, source in codes:
            env = {**os.environ, "FORMLINE_HOME": str(folder / f"home-{len(printed)}")}
            env.pop("DATABASE_URL", None)
            if source is not None:
                env["PYTHONPATH"] = str(source)
            out = folder / f"out-{len(printed)}.txt"
            args = [sys.executable, "-m", "formline", "ingest:football-data", str(path)]
            exit_code, seconds, rss, error = run_bounded(args, env, timeout, out)
            printed[code] = report_lines(out, str(path))
            same = ""
            if code != "baseline" and "baseline" in printed:
                same = "yes" if printed[code] == printed["baseline"] else "NO"
            rows.append(
                {
                    "text MB": mb,
                    "rows": n_rows,
                    "code": code,
                    "exit": exit_code,
                    "seconds": round(seconds, 1),
                    "rows/s": round(n_rows / seconds) if exit_code == 0 else "",
                    "peak RSS MB": round(rss),
                    "report as baseline": same,
                    "error": error[:80],
                }
            )
            print(rows[-1], flush=True)
        path.unlink()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller files only")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument(
        "--baseline",
        default=None,
        help="git revision to compare with (default: where this branch left main)",
    )
    parser.add_argument(
        "--baseline-max-mb", type=int, default=16, help="largest valid file the baseline loads"
    )
    options = parser.parse_args()
    if options.baseline is None:
        found = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "merge-base", "main", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
        options.baseline = found.stdout.strip()[:12] or "main"
    sizes = {
        "junk text, no header": [8, 32, 128],
        "junk rows, valid header": [8, 32, 128],
        "one endless line": [8, 32, 200],
        "gzip bomb (decompressed size)": [256, 1024, 4096],
        "valid rows (E0 2022-23 copies)": [4, 16, 60],
    }
    if options.quick:
        sizes = {name: values[:2] for name, values in sizes.items()}
    rows = []
    with tempfile.TemporaryDirectory(prefix="ingest-memory-") as tmp:
        base = Path(tmp)
        baseline = run_bounded(
            [sys.executable, "-m", "formline", "db:migrate"],
            {**os.environ, "FORMLINE_HOME": str(base / "home0")},
            options.timeout,
        )
        for name, filename, make in CASES:
            if name.startswith("valid"):
                continue
            for mb in sizes[name]:
                folder = base / f"{len(rows)}"
                folder.mkdir()
                path = make(folder / filename, mb * MB)
                env = {**os.environ, "FORMLINE_HOME": str(folder / "home")}
                env.pop("DATABASE_URL", None)
                code, seconds, rss, error = run_bounded(
                    [sys.executable, "-m", "formline", "ingest:football-data", str(path)],
                    env,
                    options.timeout,
                )
                error = error.replace(str(path), filename)
                rows.append(
                    {
                        "file": name,
                        "text MB": mb,
                        "on disk MB": round(path.stat().st_size / MB, 2),
                        "exit": code,
                        "seconds": round(seconds, 1),
                        "peak RSS MB": round(rss),
                        "error": (error[:110] + "...") if len(error) > 110 else error,
                    }
                )
                print(rows[-1], flush=True)
                path.unlink()
        valid: list[dict[str, object]] = []
        if (FOOTBALL_ODDS / "seasons").is_dir():
            source = export_source(options.baseline, base / "baseline")
            valid = valid_sizes(
                base,
                sizes["valid rows (E0 2022-23 copies)"],
                source,
                options.baseline_max_mb,
                options.timeout,
            )
    text = [
        "## Ingest memory on hostile and large files (`benchmarks/ingest_memory.py`)",
        "Peak resident memory of `formline ingest:football-data FILE` in a subprocess (fresh "
        "embedded SQLite store, default limits: `INGEST_MAX_FILE_MB=64`, `INGEST_MAX_LINE_KB=64`, "
        "`INGEST_MAX_REJECTS=10000`; chunks of 2,000 rows), measured with `wait4`. The machine "
        "is shared with other jobs (2 cores), so seconds are noisy; compare rows within this "
        f"run. A bare `formline db:migrate` peaks at {baseline[2]:.0f} MB (the interpreter and "
        "libraries). Before the limits the reliability probe measured 4.9 GB for a 32 MB junk "
        "file and 4.35 GB for a 2 MB gzip bomb.",
        "### Hostile files",
        markdown_table(pd.DataFrame(rows)),
        "Hostile files are refused before their rows are parsed (one streaming pass checks the "
        "size and the line lengths first), so memory stays flat in the file size.",
    ]
    if valid:
        text += [
            "### Valid files: peak memory against file size",
            "Copies of a real season (E0 2022-23, 106 columns, about 80 prices a row) with "
            f"renamed teams. *baseline* is `{options.baseline}` (run from a `git archive` of its "
            "`src`, same interpreter and libraries), *this branch* the code of this run; "
            "*report as baseline* says whether the two printed the same report (counts of "
            "matches, odds, teams, rejects). The baseline is not run past `--baseline-max-mb` "
            "(16 MB by default): its peak grows by about 150 MB per MB of text, so a 60 MB file "
            "would take some 9 GB.",
            markdown_table(pd.DataFrame(valid)),
            "The file is parsed a chunk of rows at a time and each chunk staged into temporary "
            "tables (committed as it comes, the store's own tables untouched); the upserts then "
            "run set-based once, in one transaction. So the process holds one chunk of parsed "
            "rows, not the file: peak memory no longer grows with the file (the database's "
            "temporary tables hold the load, on disk for SQLite, in the server for PostgreSQL). "
            "A run killed at the time bound shows exit -9.",
        ]
    publish("ingest_memory", text, write_docs=not options.no_docs)


if __name__ == "__main__":
    main()
