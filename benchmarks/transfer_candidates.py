"""The transfer candidate generator's recall, on the shared real data and on the demo world.

Real data: both shared transfer folders ingested into a temporary SQLite store, then for every
window of the seasons ``--first`` (2008) to ``--last`` (2019) the candidates as of the window's
opening and the movers of the window (:mod:`formline.transfers.candidate_audit`). The real data
has no signals: its recall comes from the league, top clubs and random reasons only.

Demo: the seeded world in a store of its own; attention signals derived from its user events
for the ``--signal-days`` before each window's opening, then the same audit, without and with
them.

    python benchmarks/transfer_candidates.py [--skip-real] [--skip-demo]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime
from pathlib import Path

from formline.store import open_store
from formline.transfers.candidate_audit import audit_recall
from formline.transfers.candidate_store import read_candidate_inputs, seasons_windows
from formline.transfers.demo_ingest import ingest_transfer_demo
from formline.transfers.ingest import ingest_transfers
from formline.transfers.signal_store import derive_signals
from formline.transfers.sources.demo import generate_transfer_world
from formline.transfers.spells import CandidateInputs, window_opens

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DEMO_NOW = datetime(2025, 9, 10)
DEMO_WORLD = {
    "n_leagues": 4,
    "clubs_per_league": 10,
    "n_players": 800,
    "n_seasons": 4,
    "event_days": 500,
}


def real(first: int, last: int) -> None:
    """Ingest the real data into a temporary store and audit the windows of the seasons."""
    folders = [DATA / "transfers_ewenme", DATA / "transfers_emordonez"]
    if not all(f.is_dir() for f in folders):
        print("real data: not found, skipped")
        return
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{folder}/formline.db")
        try:
            started = time.perf_counter()
            ingest_transfers(store, folders)
            loaded = time.perf_counter() - started
            started = time.perf_counter()
            inputs = read_candidate_inputs(store)
            read = time.perf_counter() - started
        finally:
            store.dispose()
    print(f"real data: ingest {loaded:.1f} s, read {read:.1f} s, {len(inputs.transfers)} moves")
    audit = audit_recall(inputs, seasons_windows(first, last))
    print(audit.windows.drop(columns="as_of").to_string(index=False))
    print(f"real data {first}-{last}: {audit.summary()}")


def demo(signal_days: float) -> None:
    """Load the demo world, audit it without signals, derive signals, audit again."""
    world = generate_transfer_world(42, DEMO_NOW, **DEMO_WORLD)
    windows = [
        (int(w.season), str(w.transfer_window))
        for w in world.windows.itertuples()
        if w.closes_at <= DEMO_NOW and w.season > world.windows["season"].min()
    ]
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{folder}/formline.db")
        try:
            ingest_transfer_demo(store, 42, DEMO_NOW, **DEMO_WORLD)
            bare = read_candidate_inputs(store)
            for season, window in windows:
                derive_signals(store, window_opens(season, window), signal_days)
            signalled = read_candidate_inputs(store)
        finally:
            store.dispose()
    without = audit_recall(
        CandidateInputs(bare.transfers, bare.club_seasons, bare.leagues, bare.signals.iloc[0:0]),
        windows,
    )
    print(without.windows.drop(columns="as_of").to_string(index=False))
    print(f"demo, no signals: {without.summary()}")
    audit = audit_recall(signalled, windows)
    print(audit.windows.drop(columns="as_of").to_string(index=False))
    print(f"demo, signals of {signal_days:g} days: {audit.summary()}")


def main() -> None:
    """Parse the arguments and print the audits."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=2008)
    parser.add_argument("--last", type=int, default=2019)
    parser.add_argument("--signal-days", type=float, default=30.0)
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    if not args.skip_demo:
        demo(args.signal_days)
    if not args.skip_real:
        real(args.first, args.last)


if __name__ == "__main__":
    main()
