"""Backtest: walk-forward over a period, refitting at each season or month boundary on
everything observed before it, each event predicted from its point-in-time features.

At a lead of N days every event is predicted from what was known N days before its start: its
features with the cutoff N days before the domain's start column, by a model refitted at the
block's boundary minus N days on the results observed before then (so no prediction uses a
model that saw a result after its own instant). A model that reads prices predicts only the
events whose prices were observed by then (their information state, ``Domain.admits``); the
others are omitted and counted, never filled in. The rows' columns (the CSV is an interface),
the fits and the scores are the domain's (:class:`formline.domain.Domain`).
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from formline.core.splits import walk_forward_splits
from formline.domain import (
    Domain,
    EventFrame,
    Window,
    model_type,
    plural,
    resolve_domain,
    uses_market,
)
from formline.errors import ConfigError, DataError
from formline.pipeline.leads import frames_at_lead_days
from formline.pipeline.outputs import check_output, write_atomically
from formline.pipeline.train import TrainConfig, build_prototype
from formline.store.db import Store

#: Walk-forward splits of each refit's training rows that fit its calibrators.
CALIBRATION_SPLITS = 3


@dataclass
class BacktestResult:
    """One row per predicted (event, lead) (the domain's CSV columns plus evaluation columns,
    see ``Domain.backtest_output``), and per lead and season the events not predicted because
    the model's information was not observed yet at that lead (``omitted``: ``lead_days``,
    ``season``, ``n``)."""

    frame: pd.DataFrame
    refits: int
    model: str
    omitted: pd.DataFrame
    #: The leads asked for (days before kickoff).
    leads: tuple[int, ...] = (0,)
    #: Distinct model fits (members of an ensemble counted one by one).
    fits: int = 0
    #: The domain's name (None: the only registered one).
    domain: str | None = None


def block_starts(test: pd.DataFrame, refit: str, start: str) -> list[pd.Timestamp]:
    """The refit boundaries: the first start (column ``start``) of each season, or each
    calendar month."""
    if refit == "season":
        firsts = test.groupby("season")[start].min().sort_values()
        return [pd.Timestamp(t) for t in firsts]
    if refit == "month":
        months = test[start].dt.to_period("M").drop_duplicates().sort_values()
        return [p.start_time for p in months]
    raise ConfigError(f"--refit: '{refit}' is not one of season, month")


def parse_lead_days(text: str) -> tuple[int, ...]:
    """``"0,2,7"`` as the leads ``(0, 2, 7)``: whole days, at least 0, sorted, no repeats.

    Raises
    ------
    ConfigError
        If a value is not a whole number of days or is negative.
    """
    leads = set()
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit():
            raise ConfigError(
                f"--lead-days: '{part}' is not a whole number of days >= 0 (e.g. 0,2,7,30)"
            )
        leads.add(int(part))
    return tuple(sorted(leads))


@dataclass
class _Piece:
    """The events of one block at one lead, and the training rows of its refit."""

    lead: int
    rows: pd.DataFrame
    train: np.ndarray  # positions in the finished-event frame


def run_backtest(
    store: Store,
    start: datetime,
    end: datetime,
    config: TrainConfig,
    refit: str = "season",
    match_frame: EventFrame | None = None,
    label: str | None = None,
    lead_days: Sequence[int] = (0,),
    jobs: int = 1,
    planned: bool = True,
    fit_cache: MutableMapping[bytes, Any] | None = None,
) -> BacktestResult:
    """Walk forward through ``[start, end)`` at each lead in ``lead_days``; see the module
    docstring.

    Features are computed once as of ``end``: every finished event before then has the cutoff
    of its own start, exactly as it had at the time, and the test events are built once more
    for all leads above 0 at once. ``planned`` fits every distinct model once
    (``Domain.predict_windows``; ``jobs`` worker processes; ``fit_cache`` shares fits between
    the backtests of several models on the same ``match_frame``); ``planned=False`` is the
    reference path, one ``Domain.fit_calibrated`` per refit, with the same probabilities.
    """
    if end <= start:
        raise ConfigError("--end must be after --start")
    leads = tuple(sorted(set(int(d) for d in lead_days)))
    if not leads or leads[0] < 0:
        raise ConfigError("--lead-days: leads are whole days >= 0")
    if jobs < 1:
        raise ConfigError(f"--jobs: {jobs} is below 1")
    domain = config.resolved_domain
    match_frame = match_frame or domain.load_frame(store, end)
    frame = match_frame.frame[match_frame.frame["finished"]].reset_index(drop=True)
    if config.competition:
        scope = frame[domain.scope_column]
        frame = frame[scope == config.competition].reset_index(drop=True)
    start_at = frame[domain.start_column]
    test = frame[(start_at >= start) & (start_at < end)]
    if test.empty:
        events = plural(domain.event_noun)
        raise DataError(f"no finished {events} between {start:%Y-%m-%d} and {end:%Y-%m-%d}")
    later = frames_at_lead_days(store, match_frame.as_of, test, [d for d in leads if d > 0], domain)
    at_lead = {d: test if d == 0 else later[d] for d in leads}
    prototype = build_prototype(config.model_type, config, dict(config.hyperparameters))
    declared = model_type(domain, config.model_type)
    information = domain.information_needed(uses_market(declared, config.use_market))
    starts = block_starts(test, refit, domain.start_column)
    pieces, omitted = _pieces(domain, frame, test, at_lead, starts, end, config, information)
    calibration = config.calibration if declared.calibrated else "none"
    if planned:
        predicted, fits = _planned(
            domain, prototype, frame, at_lead, pieces, calibration, config, jobs, fit_cache
        )
    else:
        predicted, fits = _naive(domain, prototype, frame, pieces, calibration, config)
    name = label or (config.model_type if config.use_market else f"{config.model_type}-no-market")
    if predicted:
        result = pd.concat(predicted, ignore_index=True)
    else:  # every event omitted at every lead: an empty backtest, with its columns
        result = domain.with_predictions(test.iloc[:0], None).assign(lead_days=0)
    result["model"] = name
    refits = len({p.train.tobytes() for p in pieces})
    return BacktestResult(
        domain.backtest_output(result), refits, name, omitted, leads, fits, domain.name
    )


def _pieces(
    domain: Domain,
    frame: pd.DataFrame,
    test: pd.DataFrame,
    at_lead: dict[int, pd.DataFrame],
    starts: list[pd.Timestamp],
    end: datetime,
    config: TrainConfig,
    information: str,
) -> tuple[list[_Piece], pd.DataFrame]:
    """Every (lead, block) with events the model may predict, and what it may not."""
    bounds = [*starts[1:], pd.Timestamp(end)]
    pieces, omitted = [], []
    start_at = test[domain.start_column]
    for lead, rows in at_lead.items():
        usable = domain.admits(information, rows)
        left_out = rows.loc[~usable, "season"].value_counts()
        omitted += [{"lead_days": lead, "season": s, "n": int(n)} for s, n in left_out.items()]
        for block_start, block_end in zip(starts, bounds, strict=True):
            inside = (start_at >= block_start) & (start_at < block_end)
            block = rows[inside.to_numpy() & usable]
            if block.empty:
                continue
            boundary = block_start - pd.Timedelta(days=lead)
            known = frame["result_observed_at"] < boundary
            if config.lookback_days:
                lookback = boundary - timedelta(days=config.lookback_days)
                known &= frame[domain.start_column] >= lookback
            if known.sum() < 200:
                raise DataError(
                    f"only {int(known.sum())} finished {plural(domain.event_noun)} before "
                    f"{boundary:%Y-%m-%d} to train on"
                )
            block = block.copy()
            block["lead_days"] = lead
            pieces.append(_Piece(lead, block, np.flatnonzero(known.to_numpy())))
    columns = ["lead_days", "season", "n"]
    return pieces, pd.DataFrame(omitted, columns=columns).sort_values(
        columns[:2], ignore_index=True
    )


def _naive(
    domain: Domain,
    prototype: Any,
    frame: pd.DataFrame,
    pieces: list[_Piece],
    calibration: Any,
    config: TrainConfig,
) -> tuple[list[pd.DataFrame], int]:
    """One :func:`fit_calibrated` per (lead, block): the reference the plan must equal."""
    out = []
    for piece in pieces:
        train = frame.iloc[piece.train].reset_index(drop=True)
        splits = walk_forward_splits(
            train[domain.start_column].to_numpy(),
            n_splits=CALIBRATION_SPLITS,
            gap=timedelta(days=config.gap_days),
        )
        predictions = domain.fit_calibrated(prototype, train, splits, calibration, piece.rows)
        out.append(domain.with_predictions(piece.rows, predictions))
    return out, len(pieces)


def _planned(
    domain: Domain,
    prototype: Any,
    frame: pd.DataFrame,
    at_lead: dict[int, pd.DataFrame],
    pieces: list[_Piece],
    calibration: Any,
    config: TrainConfig,
    jobs: int,
    fit_cache: MutableMapping[bytes, Any] | None,
) -> tuple[list[pd.DataFrame], int]:
    """Every distinct fit once (see ``Domain.predict_windows``)."""
    frames: dict[Any, pd.DataFrame] = {"train": frame}
    for lead, rows in at_lead.items():
        frames[lead] = rows.reset_index(drop=True)
    position = {
        lead: pd.Series(np.arange(len(rows)), index=rows.index) for lead, rows in at_lead.items()
    }
    windows: dict[bytes, Window] = {}
    asked = []
    for piece in pieces:
        window = windows.setdefault(piece.train.tobytes(), Window(piece.train, []))
        wanted = position[piece.lead].loc[piece.rows.index].to_numpy(dtype=np.int64)
        asked.append((window, len(window.predict)))
        window.predict.append((piece.lead, wanted))
    ordered = list(windows.values())
    predicted, fits = domain.predict_windows(
        prototype,
        frames,
        "train",
        ordered,
        calibration,
        n_splits=CALIBRATION_SPLITS,
        gap_days=config.gap_days,
        jobs=jobs,
        fit_cache=fit_cache,
    )
    index = {id(w): i for i, w in enumerate(ordered)}
    out = []
    for piece, (window, i) in zip(pieces, asked, strict=True):
        out.append(domain.with_predictions(piece.rows, predicted[index[id(window)]][i]))
    return out, fits


def write_backtest(result: BacktestResult, out: Path) -> None:
    """Write the backtest's required columns to ``out`` (CSV) atomically, as the domain types
    them (instants as ISO 8601 with their UTC offset).

    Raises
    ------
    ConfigError
        If ``out`` is not a ``.csv`` file or cannot be written.
    """
    check_output(out, suffixes=(".csv",))
    frame = resolve_domain(result.domain).backtest_output(result.frame, csv=True)
    write_atomically(out, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.10f"))


def backtest_summary(result: BacktestResult) -> pd.DataFrame:
    """Per lead and season (and ``all`` seasons of each lead): events predicted, events omitted
    (information not observed yet at that lead), and the domain's scores of the predicted
    events (``Domain.backtest_scores``; for matches the model's RPS and log loss, and its and
    the closing line's RPS on the matches that have closing odds)."""
    domain = resolve_domain(result.domain)
    omitted = result.omitted.groupby(["lead_days", "season"])["n"].sum()
    rows = []
    for lead in result.leads:
        at_lead = result.frame[result.frame["lead_days"] == lead]
        seasons = sorted(
            set(at_lead["season"])
            | set(result.omitted.loc[result.omitted["lead_days"] == lead, "season"])
        )
        for season in [*seasons, "all"]:
            group = at_lead if season == "all" else at_lead[at_lead["season"] == season]
            left_out = omitted.get(lead, pd.Series(dtype=int))
            rows.append(
                {
                    "lead_days": lead,
                    "season": season,
                    "predicted": len(group),
                    "omitted": int(left_out.sum() if season == "all" else left_out.get(season, 0)),
                    **domain.backtest_scores(group),
                }
            )
    return pd.DataFrame(rows)
