"""Response schemas the read API's shared routes and every domain use, named by role
(``XPublic`` one item, ``XsPublic`` a list): errors, health, snapshots, models.

A domain's own bodies live in its package (the matches domain's in
:mod:`formline.matches.api.schemas`). Timestamps are UTC and serialised as ISO 8601 with ``Z``.
Lists carry ``count`` (items in this response); paginated lists also carry ``total``, ``limit``
and ``offset``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from formline.store.reads import Pointer


class Public(BaseModel):
    """The base of every response body: frozen."""

    model_config = ConfigDict(frozen=True)


class ErrorPublic(Public):
    """An error: what went wrong, in one sentence."""

    detail: str


# --- health ------------------------------------------------------------------------------------


class StoreHealth(Public):
    reachable: bool
    dialect: str
    schema_revision: str | None = None
    error: str | None = Field(default=None, description="Why the store is unavailable.")


class SnapshotHealth(Public):
    id: int
    model_version_id: int | None = Field(
        description="The model of every prediction; None when several champions predicted."
    )
    model_version_ids: list[int] = Field(description="Every model behind the snapshot.")
    as_of: datetime
    published_at: datetime
    n_predictions: int
    age_seconds: float = Field(description="Seconds since the snapshot was published.")


class CacheHealth(Public):
    backend: Literal["memory", "redis", "disabled"]
    healthy: bool
    error: str | None = None


class HealthPublic(Public):
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
    snapshot: SnapshotHealth | None = Field(
        description="The current snapshot: the freshest publish of any domain; None before any."
    )
    domains: dict[str, SnapshotHealth | None] = Field(
        description="Each domain's current snapshot, by domain: every registered domain (None "
        "before it publishes) and any other the store has a publication of."
    )
    cache: CacheHealth


# --- snapshots ---------------------------------------------------------------------------------


class SnapshotPublic(Public):
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


def snapshot_public(pointer: Pointer | None) -> SnapshotPublic | None:
    """The public header of the snapshot ``pointer`` points at."""
    if pointer is None:
        return None
    return SnapshotPublic(
        id=pointer.snapshot_id,
        model_version_id=pointer.model_version_id,
        model_version_ids=list(pointer.model_version_ids),
        as_of=pointer.as_of,
        horizon_days=pointer.horizon_days,
        n_predictions=pointer.n_predictions,
        published_at=pointer.published_at,
    )


InformationState = Literal["market", "no_market"]


# --- models ------------------------------------------------------------------------------------


class ModelPublic(Public):
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


class ModelsPublic(Public):
    count: int
    data: list[ModelPublic]


class ModelDetailPublic(ModelPublic):
    feature_names: list[str]
    hyperparameters: dict[str, Any]
    random_state: int | None
    error: str | None


# --- season simulations ------------------------------------------------------------------------


class SimulationModelPublic(Public):
    model_version_id: int
    information: str = Field(description="The information state of the games it drew.")
    games: int = Field(description="How many of the games left it drew.")


class SimulationTeamPublic(Public):
    team: str
    rank: int = Field(description="1 = the best expected points.")
    expected_points: float
    p_title: float
    p_top: float = Field(description="P(finishing in the top places; see the simulation's top).")
    p_relegation: float | None = Field(
        description="P(finishing in the relegated places); null when none are counted."
    )
    positions: list[float] = Field(description="P(finishing 1st), P(2nd) ... one per team.")


class SimulationPublic(Public):
    """A season simulated as of an instant, as published last for its competition."""

    id: int
    domain: str
    competition: str
    season: str
    as_of: datetime
    created_at: datetime
    published_at: datetime
    n_sims: int
    seed: int
    draws: Literal["score_grids", "outcomes"] = Field(
        description="What the games left were drawn from: the models' score grids, or outcome "
        "probabilities (then goal difference does not change)."
    )
    top: int
    relegated: int = Field(description="Bottom places counted as relegated (0: none counted).")
    points_label: str
    n_teams: int
    n_played: int
    n_remaining: int
    simplifications: str
    models: list[SimulationModelPublic]
    teams: list[SimulationTeamPublic]
