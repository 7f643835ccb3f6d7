"""Backtest: walk-forward over a period, refitting at each season or month boundary on
everything observed before it, each match predicted from its point-in-time features.

At a lead of N days every match is predicted from what was known N days before its kickoff:
its features with the cutoff ``kickoff_at - N days``, by a model refitted at the block's
boundary minus N days on the results observed before then (so no prediction uses a model that
saw a result after its own instant). A model that reads prices predicts only the matches whose
prices were observed by then (their information state, :mod:`formline.matches.information`);
the others are omitted and counted, never filled in.
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
from formline.domain import model_type, uses_market
from formline.errors import ConfigError, DataError
from formline.matches.dataset import MatchFrame
from formline.matches.information import information_states, serves
from formline.matches.models.validation import fit_calibrated
from formline.pipeline.backtest_plan import Window, predict_windows
from formline.pipeline.leads import frames_at_lead_days
from formline.pipeline.outputs import check_output, csv_timestamps, write_atomically
from formline.pipeline.train import TrainConfig, build_prototype
from formline.store.db import Store

BACKTEST_COLUMNS = [
    "match_id",
    "competition",
    "season",
    "kickoff_at",
    "home_team",
    "away_team",
    "home_goals",
    "away_goals",
    "p_home",
    "p_draw",
    "p_away",
    "p_over_2_5",
    "model",
    "lead_days",
]
#: Walk-forward splits of each refit's training rows that fit its calibrators.
CALIBRATION_SPLITS = 3


@dataclass
class BacktestResult:
    """One row per predicted (match, lead) (:data:`BACKTEST_COLUMNS` plus evaluation columns),
    and per lead and season the matches not predicted because the model's information was not
    observed yet at that lead (``omitted``: ``lead_days``, ``season``, ``n``)."""

    frame: pd.DataFrame
    refits: int
    model: str
    omitted: pd.DataFrame
    #: The leads asked for (days before kickoff).
    leads: tuple[int, ...] = (0,)
    #: Distinct model fits (members of an ensemble counted one by one).
    fits: int = 0


def block_starts(test: pd.DataFrame, refit: str) -> list[pd.Timestamp]:
    """The refit boundaries: the first kickoff of each season, or each calendar month."""
    if refit == "season":
        firsts = test.groupby("season")["kickoff_at"].min().sort_values()
        return [pd.Timestamp(t) for t in firsts]
    if refit == "month":
        months = test["kickoff_at"].dt.to_period("M").drop_duplicates().sort_values()
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
    """The matches of one block at one lead, and the training rows of its refit."""

    lead: int
    rows: pd.DataFrame
    train: np.ndarray  # positions in the finished-match frame


def run_backtest(
    store: Store,
    start: datetime,
    end: datetime,
    config: TrainConfig,
    refit: str = "season",
    match_frame: MatchFrame | None = None,
    label: str | None = None,
    lead_days: Sequence[int] = (0,),
    jobs: int = 1,
    planned: bool = True,
    fit_cache: MutableMapping[bytes, Any] | None = None,
) -> BacktestResult:
    """Walk forward through ``[start, end)`` at each lead in ``lead_days``; see the module
    docstring.

    Features are computed once as of ``end``: every finished match before then has the cutoff
    of its own kickoff, exactly as it had at the time, and the test matches are built once more
    for all leads above 0 at once. ``planned`` fits every distinct model once and assembles
    the refits from the members' predictions (:mod:`~formline.pipeline.backtest_plan`;
    ``jobs`` worker processes; ``fit_cache`` shares member fits between the backtests of
    several models on the same ``match_frame``, see
    :func:`~formline.pipeline.backtest_plan.predict_windows`); ``planned=False`` is the
    reference path, one
    :func:`~formline.matches.models.validation.fit_calibrated` per refit, with the same
    probabilities.
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
        frame = frame[frame["competition"] == config.competition].reset_index(drop=True)
    test = frame[(frame["kickoff_at"] >= start) & (frame["kickoff_at"] < end)]
    if test.empty:
        raise DataError(f"no finished matches between {start:%Y-%m-%d} and {end:%Y-%m-%d}")
    later = frames_at_lead_days(store, match_frame.as_of, test, [d for d in leads if d > 0], domain)
    at_lead = {d: test if d == 0 else later[d] for d in leads}
    prototype = build_prototype(config.model_type, config, dict(config.hyperparameters))
    declared = model_type(domain, config.model_type)
    information = domain.information_needed(uses_market(declared, config.use_market))
    pieces, omitted = _pieces(
        frame, test, at_lead, block_starts(test, refit), end, config, information
    )
    calibration = config.calibration if declared.calibrated else "none"
    if planned:
        predicted, fits = _planned(
            prototype, frame, at_lead, pieces, calibration, config, jobs, fit_cache
        )
    else:
        predicted, fits = _naive(prototype, frame, pieces, calibration, config)
    name = label or (config.model_type if config.use_market else f"{config.model_type}-no-market")
    if predicted:
        result = pd.concat(predicted, ignore_index=True)
    else:  # every match omitted at every lead: an empty backtest, with its columns
        result = test.iloc[:0].assign(
            p_home=np.nan, p_draw=np.nan, p_away=np.nan, p_over_2_5=np.nan, lead_days=0
        )
    result["model"] = name
    extra = [c for c in result.columns if c.startswith(("closing_", "opening_"))]
    refits = len({p.train.tobytes() for p in pieces})
    return BacktestResult(result[[*BACKTEST_COLUMNS, *extra]], refits, name, omitted, leads, fits)


def _pieces(
    frame: pd.DataFrame,
    test: pd.DataFrame,
    at_lead: dict[int, pd.DataFrame],
    starts: list[pd.Timestamp],
    end: datetime,
    config: TrainConfig,
    information: str,
) -> tuple[list[_Piece], pd.DataFrame]:
    """Every (lead, block) with matches the model may predict, and what it may not."""
    bounds = [*starts[1:], pd.Timestamp(end)]
    pieces, omitted = [], []
    for lead, rows in at_lead.items():
        usable = serves(information, information_states(rows))
        left_out = rows.loc[~usable, "season"].value_counts()
        omitted += [{"lead_days": lead, "season": s, "n": int(n)} for s, n in left_out.items()]
        for block_start, block_end in zip(starts, bounds, strict=True):
            inside = (test["kickoff_at"] >= block_start) & (test["kickoff_at"] < block_end)
            block = rows[inside.to_numpy() & usable]
            if block.empty:
                continue
            boundary = block_start - pd.Timedelta(days=lead)
            known = frame["result_observed_at"] < boundary
            if config.lookback_days:
                known &= frame["kickoff_at"] >= boundary - timedelta(days=config.lookback_days)
            if known.sum() < 200:
                raise DataError(
                    f"only {int(known.sum())} finished matches before {boundary:%Y-%m-%d} "
                    "to train on"
                )
            block = block.copy()
            block["lead_days"] = lead
            pieces.append(_Piece(lead, block, np.flatnonzero(known.to_numpy())))
    columns = ["lead_days", "season", "n"]
    return pieces, pd.DataFrame(omitted, columns=columns).sort_values(
        columns[:2], ignore_index=True
    )


def _with_predictions(rows: pd.DataFrame, proba: np.ndarray, over: np.ndarray) -> pd.DataFrame:
    out = rows.copy()
    out[["p_home", "p_draw", "p_away"]] = proba
    out["p_over_2_5"] = over
    return out


def _naive(
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
        y = train[["home_goals", "away_goals"]]
        splits = walk_forward_splits(
            train["kickoff_at"].to_numpy(),
            n_splits=CALIBRATION_SPLITS,
            gap=timedelta(days=config.gap_days),
        )
        model, calibrator, over_calibrator = fit_calibrated(
            prototype, train, y, splits, calibration
        )
        proba = calibrator.transform(model.predict_proba(piece.rows))
        over = over_calibrator.transform(model.predict_over_proba(piece.rows))
        out.append(_with_predictions(piece.rows, proba, over))
    return out, len(pieces)


def _planned(
    prototype: Any,
    frame: pd.DataFrame,
    at_lead: dict[int, pd.DataFrame],
    pieces: list[_Piece],
    calibration: Any,
    config: TrainConfig,
    jobs: int,
    fit_cache: MutableMapping[bytes, Any] | None,
) -> tuple[list[pd.DataFrame], int]:
    """Every distinct fit once (see :mod:`~formline.pipeline.backtest_plan`)."""
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
    predicted, fits = predict_windows(
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
        proba, over = predicted[index[id(window)]][i]
        out.append(_with_predictions(piece.rows, proba, over))
    return out, fits


def write_backtest(result: BacktestResult, out: Path) -> None:
    """Write the backtest's required columns to ``out`` (CSV) atomically; ``kickoff_at`` as
    ISO 8601 with its UTC offset.

    Raises
    ------
    ConfigError
        If ``out`` is not a ``.csv`` file or cannot be written.
    """
    check_output(out, suffixes=(".csv",))
    frame = csv_timestamps(result.frame[BACKTEST_COLUMNS], ["kickoff_at"])
    frame["home_goals"] = frame["home_goals"].astype("Int64")
    frame["away_goals"] = frame["away_goals"].astype("Int64")
    write_atomically(out, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.10f"))


def backtest_metrics(frame: pd.DataFrame) -> dict[str, Any]:
    """The model's metrics, and the closing line's on the matches that have it."""
    from formline.core.metrics import evaluate
    from formline.matches.models import outcome_codes

    codes = outcome_codes(frame[["home_goals", "away_goals"]])
    proba = frame[["p_home", "p_draw", "p_away"]].to_numpy(dtype=np.float64)
    out: dict[str, Any] = {"model": evaluate(codes, proba)}
    closing = frame[["closing_p_home", "closing_p_draw", "closing_p_away"]].to_numpy(
        dtype=np.float64
    )
    has = ~np.isnan(closing).any(axis=1)
    if has.any():
        out["model_on_market_matches"] = evaluate(codes[has], proba[has])
        out["closing_market"] = evaluate(codes[has], closing[has])
    return out


def backtest_summary(result: BacktestResult) -> pd.DataFrame:
    """Per lead and season (and ``all`` seasons of each lead): matches predicted, matches
    omitted (information not observed yet at that lead), the model's RPS and log loss, and the
    model's and the closing line's RPS on the predicted matches that have closing odds."""
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
            metrics = backtest_metrics(group) if len(group) else {}
            rows.append(
                {
                    "lead_days": lead,
                    "season": season,
                    "predicted": len(group),
                    "omitted": int(left_out.sum() if season == "all" else left_out.get(season, 0)),
                    "rps": metrics.get("model", {}).get("rps", np.nan),
                    "log_loss": metrics.get("model", {}).get("log_loss", np.nan),
                    "rps_on_closing_matches": metrics.get("model_on_market_matches", {}).get(
                        "rps", np.nan
                    ),
                    "closing_rps": metrics.get("closing_market", {}).get("rps", np.nan),
                }
            )
    return pd.DataFrame(rows)
