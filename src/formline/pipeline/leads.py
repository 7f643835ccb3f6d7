"""Features and scores by lead time: what a model sees, and how good it is, N days ahead.

A model is trained on events as of their start, but it publishes predictions up to the
horizon ahead, when less is known (no prices yet, older form). Validation therefore also scores
each validated event as known at the leads its domain declares
(:attr:`formline.domain.DomainAttributes.validation_leads`) with the same fold models and
calibrators, labelled by the lead buckets that ``/performance`` uses for published predictions
(a lead inside the first bucket by its hours).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from formline.domain import Domain, resolve_domain, row_keys
from formline.store.db import Store
from formline.store.prediction_reads import LEAD_BUCKETS

#: A frame's column with each row's information state, where the domain's frame has one.
INFORMATION_COLUMN = "information"


def lead_bucket(days: float) -> str:
    """The label of the lead bucket ``days`` falls in (see ``LEAD_BUCKETS``)."""
    for label, low, high in LEAD_BUCKETS:
        if days >= low and (high is None or days < high):
            return label
    raise ValueError(f"a lead of {days} days is negative")


def lead_label(days: float) -> str:
    """The label validation scores a lead under: its lead bucket's (``"1-3d"``), or, for a
    lead inside the first bucket (which is the start's own, lead 0), its hours (``"23h"``)."""
    label = lead_bucket(days)
    if days > 0 and label == lead_bucket(0.0):
        return f"{days * 24:.3g}h"
    return label


def frames_at_leads(
    store: Store,
    as_of: datetime,
    rows: pd.DataFrame,
    leads: tuple[float, ...],
    domain: Domain | None = None,
) -> dict[str, pd.DataFrame]:
    """``rows`` (events of a modelling frame) with their features as known ``lead`` days
    before the start, one frame per lead (labelled by :func:`lead_label`), row for row in the
    order of ``rows``.

    Results and ids are those of ``rows``; only the features differ.
    """
    frames = frames_at_lead_days(store, as_of, rows, leads, domain)
    return {lead_label(days): frame for days, frame in frames.items()}


def frames_at_lead_days(
    store: Store,
    as_of: datetime,
    rows: pd.DataFrame,
    leads: Sequence[float],
    domain: Domain | None = None,
) -> dict[float, pd.DataFrame]:
    """``rows`` with their features as known ``days`` before kickoff, one frame per lead (in
    days), row for row in the order (and with the index) of ``rows``; built in one pass for
    every lead. Each frame's ``cutoff_at`` is its rows' cutoff (kickoff minus the lead)."""
    if not leads or rows.empty:
        return {}
    domain = resolve_domain(domain)
    key = domain.event_key
    # A frame with units (a race's runners) has one row per unit: queried once per event, the
    # answers are matched back to the rows by event, unit and cutoff.
    keys = row_keys(domain)
    kickoffs = pd.to_datetime(rows[domain.start_column])
    queries = pd.concat(
        [
            pd.DataFrame(
                {
                    key: rows[key].to_numpy(),
                    "cutoff_at": kickoffs - pd.Timedelta(days=d),
                }
            )
            for d in leads
        ],
        ignore_index=True,
    ).drop_duplicates(ignore_index=True)
    built = domain.load_frame(store, as_of, queries=queries)
    # What changes with the cutoff: the features and, where the frame states it, the row's
    # information state (missing for a row the lead does not know yet, such as a race whose
    # card is not out: no model may predict it there).
    changing = [*built.feature_names]
    if INFORMATION_COLUMN in built.frame.columns and INFORMATION_COLUMN in rows.columns:
        changing.append(INFORMATION_COLUMN)
    features = built.frame[[*keys, "cutoff_at", *changing]].astype({"cutoff_at": "datetime64[us]"})
    out = {}
    for days in leads:
        cutoffs = (kickoffs - pd.Timedelta(days=days)).to_numpy(dtype="datetime64[us]")
        wanted = pd.DataFrame({k: rows[k].to_numpy() for k in keys}).assign(cutoff_at=cutoffs)
        at_lead = wanted.merge(features, on=[*keys, "cutoff_at"], how="left", validate="m:1")
        replaced = at_lead[changing].set_axis(rows.index)
        frame = pd.concat([rows.drop(columns=changing), replaced], axis=1)
        frame = frame[rows.columns]
        frame["cutoff_at"] = cutoffs
        out[days] = frame
    return out


def scores_by_lead(
    domain: Domain,
    rows: pd.DataFrame,
    information: str,
    lead_frames: Mapping[str, pd.DataFrame],
    result: Any,
    minimum: int = 30,
) -> dict[str, Any]:
    """Validation metrics per lead bucket for the rows ``result`` scored (``result.rows``,
    positions in ``rows``): the headline market's, from the domain.

    At each lead only the rows whose information state then admits the model are scored (a
    model that needs prices is not asked about events whose prices are not observed yet);
    ``n`` says how many, ``share`` what fraction of the validated rows that is. Buckets with
    fewer than ``minimum`` rows are left out.
    """
    picked = result.rows
    scored = rows.iloc[picked]
    first = lead_bucket(0.0)
    out: dict[str, Any] = {first: {**domain.evaluate_headline(scored, result), "share": 1.0}}
    for label, frame in lead_frames.items():
        usable = domain.admits(information, frame.iloc[picked])
        if usable.sum() < minimum:
            continue
        scores = dict(domain.evaluate_headline(scored, result, lead=label, where=usable))
        scores["share"] = float(usable.mean())
        out[label] = scores
    return out
