"""The matches domain's response bodies, named by role (``XPublic`` one item, ``XsPublic`` a
list), in home/away terms.

Timestamps are UTC and serialised as ISO 8601 with ``Z``. Lists carry ``count`` (items in this
response); paginated lists also carry ``total``, ``limit`` and ``offset``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from formline.api.schemas import InformationState, Public, SnapshotPublic


class MatchStatus(StrEnum):
    """A match's state."""

    scheduled = "scheduled"
    finished = "finished"
    postponed = "postponed"
    cancelled = "cancelled"


# --- competitions and matches ------------------------------------------------------------------


class CompetitionPublic(Public):
    id: int
    sport: str
    code: str
    name: str
    country: str | None
    n_matches: int
    first_kickoff_at: datetime | None
    last_kickoff_at: datetime | None


class CompetitionsPublic(Public):
    count: int
    data: list[CompetitionPublic]


class TeamPublic(Public):
    id: int
    name: str


class MatchPublic(Public):
    id: int
    sport: str
    competition: str = Field(description="The competition's code.")
    competition_id: int
    season: str
    kickoff_at: datetime
    status: MatchStatus
    home_team: TeamPublic
    away_team: TeamPublic
    home_goals: int | None
    away_goals: int | None
    home_ht_goals: int | None
    away_ht_goals: int | None
    result_observed_at: datetime | None = Field(description="When the result became known.")


class MatchesPublic(Public):
    count: int
    total: int = Field(description="Matches that pass the filters, on every page.")
    limit: int
    offset: int
    data: list[MatchPublic]


# --- predictions -------------------------------------------------------------------------------


class DriverPublic(Public):
    """One feature's contribution to a prediction (on the model's raw score per outcome)."""

    feature: str
    value: float | None
    contributions: dict[str, float]


class PredictionPublic(Public):
    match_id: int
    snapshot_id: int
    model_version_id: int = Field(description="The model that made this prediction.")
    information: InformationState = Field(
        description="What was known when it was made: market (prices observed) or no_market "
        "(results and statistics only)."
    )
    as_of: datetime = Field(description="The instant the prediction is as of.")
    competition: str
    kickoff_at: datetime
    status: MatchStatus
    home_team: str
    away_team: str
    p_home: float
    p_draw: float
    p_away: float
    p_over_2_5: float
    fair_home: float | None
    fair_draw: float | None
    fair_away: float | None
    fair_over_2_5: float | None
    fair_under_2_5: float | None


class PredictionsPublic(Public):
    """The current snapshot's predictions (an empty list before any publish)."""

    count: int
    snapshot: SnapshotPublic | None
    data: list[PredictionPublic]


class PredictionDetailPublic(PredictionPublic):
    current: bool = Field(description="True when it comes from the current snapshot.")
    drivers: list[DriverPublic]


class PredictionHistoryPublic(Public):
    match_id: int
    count: int
    data: list[PredictionDetailPublic] = Field(description="Newest snapshot first.")


# --- performance and value bets ----------------------------------------------------------------


class ScoresPublic(Public):
    """Scores of settled predictions over one window (None where there is no match)."""

    window_days: int
    n: int
    log_loss: float | None
    brier: float | None = Field(description="Multiclass Brier: sum over home, draw, away.")
    rps: float | None
    accuracy: float | None


class CompetitionPerformancePublic(Public):
    competition: str
    windows: list[ScoresPublic]


class LeadPerformancePublic(Public):
    """Scores of the predictions made at one lead (kickoff minus the prediction's as_of)."""

    lead: str = Field(description="The bucket: 0-1d, 1-3d, 3-7d, 7-30d, 30-90d or 90d+.")
    min_days: float
    max_days: float | None
    windows: list[ScoresPublic]


class PerformancePublic(Public):
    """How the published predictions (of one model, or of every model) fared on settled
    matches."""

    model_version_id: int | None = Field(description="The model scored; None: every model.")
    as_of: datetime
    window_days: list[int]
    overall: list[ScoresPublic] = Field(
        description="Each match scored with its latest prediction made before kickoff."
    )
    count: int = Field(description="Competitions listed.")
    data: list[CompetitionPerformancePublic]
    by_lead: list[LeadPerformancePublic] = Field(
        description="Each match scored, per lead bucket, with its latest prediction made at "
        "that lead: how good the predictions are N days ahead."
    )


class ValueBetPublic(Public):
    match_id: int
    competition: str
    kickoff_at: datetime
    home_team: str
    away_team: str
    selection: Literal["home", "draw", "away"]
    probability: float
    fair_price: float | None
    bookmaker: str = Field(
        description="The book offering the price (never a summary across books such as the "
        "best or the average price)."
    )
    price: float
    kind: str = Field(description="opening or closing.")
    observed_at: datetime
    edge: float = Field(description="probability * price - 1.")


class ValueBetsPublic(Public):
    count: int
    snapshot: SnapshotPublic | None
    as_of: datetime
    min_edge: float
    data: list[ValueBetPublic] = Field(description="Largest edge first.")
