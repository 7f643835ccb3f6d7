"""Response schemas of the read API, named by role (``XPublic`` one item, ``XsPublic`` a list).

Timestamps are UTC and serialised as ISO 8601 with ``Z``. Lists carry ``count`` (items in this
response); paginated lists also carry ``total``, ``limit`` and ``offset``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Public(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErrorPublic(_Public):
    """An error: what went wrong, in one sentence."""

    detail: str


class MatchStatus(StrEnum):
    """A match's state."""

    scheduled = "scheduled"
    finished = "finished"
    postponed = "postponed"
    cancelled = "cancelled"


# --- health ------------------------------------------------------------------------------------


class StoreHealth(_Public):
    reachable: bool
    dialect: str
    schema_revision: str | None = None
    error: str | None = Field(default=None, description="Why the store is unavailable.")


class SnapshotHealth(_Public):
    id: int
    model_version_id: int | None = Field(
        description="The model of every prediction; None when several champions predicted."
    )
    model_version_ids: list[int] = Field(description="Every model behind the snapshot.")
    as_of: datetime
    published_at: datetime
    n_predictions: int
    age_seconds: float = Field(description="Seconds since the snapshot was published.")


class CacheHealth(_Public):
    backend: Literal["memory", "redis", "disabled"]
    healthy: bool
    error: str | None = None


class HealthPublic(_Public):
    """Liveness (the process answers) and readiness (the store answers)."""

    status: Literal["ok", "degraded", "no_snapshot", "unavailable"] = Field(
        description="ok; degraded: the cache backend fails (answers come from the store); "
        "no_snapshot: the store answers but nothing is published yet (ready, HTTP 200, "
        "/predictions is empty); unavailable: the store does not answer (HTTP 503)."
    )
    live: bool
    ready: bool
    version: str
    store: StoreHealth
    snapshot: SnapshotHealth | None = Field(description="The current snapshot; None before any.")
    cache: CacheHealth


# --- competitions and matches ------------------------------------------------------------------


class CompetitionPublic(_Public):
    id: int
    sport: str
    code: str
    name: str
    country: str | None
    n_matches: int
    first_kickoff_at: datetime | None
    last_kickoff_at: datetime | None


class CompetitionsPublic(_Public):
    count: int
    data: list[CompetitionPublic]


class TeamPublic(_Public):
    id: int
    name: str


class MatchPublic(_Public):
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


class MatchesPublic(_Public):
    count: int
    total: int = Field(description="Matches that pass the filters, on every page.")
    limit: int
    offset: int
    data: list[MatchPublic]


# --- predictions -------------------------------------------------------------------------------


class SnapshotPublic(_Public):
    """A prediction snapshot: the champions' predictions as of one instant (each match predicted
    by the champion for what was known about it then)."""

    id: int
    model_version_id: int | None = Field(
        description="The model of every prediction; None when several champions predicted."
    )
    model_version_ids: list[int] = Field(description="Every model behind the snapshot.")
    as_of: datetime
    horizon_days: int
    n_predictions: int = Field(description="Predictions in the whole snapshot.")
    published_at: datetime


class DriverPublic(_Public):
    """One feature's contribution to a prediction (on the model's raw score per outcome)."""

    feature: str
    value: float | None
    contributions: dict[str, float]


InformationState = Literal["market", "no_market"]


class PredictionPublic(_Public):
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


class PredictionsPublic(_Public):
    """The current snapshot's predictions (an empty list before any publish)."""

    count: int
    snapshot: SnapshotPublic | None
    data: list[PredictionPublic]


class PredictionDetailPublic(PredictionPublic):
    current: bool = Field(description="True when it comes from the current snapshot.")
    drivers: list[DriverPublic]


class PredictionHistoryPublic(_Public):
    match_id: int
    count: int
    data: list[PredictionDetailPublic] = Field(description="Newest snapshot first.")


# --- models ------------------------------------------------------------------------------------


class ModelPublic(_Public):
    id: int
    name: str
    model_type: str
    version: int
    status: str
    status_reason: str | None
    horizon_days: int
    domain: str
    competition: str | None
    scope: str = Field(description="What it may predict: a competition code, or * for all.")
    information: InformationState = Field(description="The information state it needs.")
    training_as_of: datetime
    window_start: datetime
    window_end: datetime
    n_train: int
    n_validation: int
    feature_version: str
    uses_market: bool
    metrics: dict[str, Any] = Field(description="Walk-forward validation metrics.")
    market_metrics: dict[str, Any] | None
    train_seconds: float | None
    created_at: datetime
    deployed_at: datetime | None


class ModelsPublic(_Public):
    count: int
    data: list[ModelPublic]


class ModelDetailPublic(ModelPublic):
    feature_names: list[str]
    hyperparameters: dict[str, Any]
    random_state: int | None
    error: str | None


# --- performance and value bets ----------------------------------------------------------------


class ScoresPublic(_Public):
    """Scores of settled predictions over one window (None where there is no match)."""

    window_days: int
    n: int
    log_loss: float | None
    brier: float | None = Field(description="Multiclass Brier: sum over home, draw, away.")
    rps: float | None
    accuracy: float | None


class CompetitionPerformancePublic(_Public):
    competition: str
    windows: list[ScoresPublic]


class LeadPerformancePublic(_Public):
    """Scores of the predictions made at one lead (kickoff minus the prediction's as_of)."""

    lead: str = Field(description="The bucket: 0-1d, 1-3d, 3-7d, 7-30d, 30-90d or 90d+.")
    min_days: float
    max_days: float | None
    windows: list[ScoresPublic]


class PerformancePublic(_Public):
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


class ValueBetPublic(_Public):
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


class ValueBetsPublic(_Public):
    count: int
    snapshot: SnapshotPublic | None
    as_of: datetime
    min_edge: float
    data: list[ValueBetPublic] = Field(description="Largest edge first.")
