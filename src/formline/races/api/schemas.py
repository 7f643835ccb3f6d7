"""The races domain's response bodies, named by role (``XPublic`` one item, ``XsPublic`` a
list): a day's races with their predictions summary, a race card with each runner's win and
place probabilities and drivers, and the current form of horses, jockeys and trainers.

Timestamps are UTC and serialised as ISO 8601 with ``Z``. Lists carry ``count``. Probabilities
and fair odds are null where the current snapshot does not cover the runner.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from formline.api.schemas import Public, SnapshotPublic


class VenuePublic(Public):
    id: int
    code: str
    name: str


class NamedPublic(Public):
    """A horse, jockey or trainer, as a race card names it."""

    id: int
    name: str | None


class FavouritePublic(Public):
    """The runner the current snapshot gives the highest win probability."""

    runner_id: int
    saddle_number: int | None
    horse: NamedPublic
    p_win: float
    fair_win: float | None


class RaceSummaryPublic(Public):
    id: int
    venue: VenuePublic
    race_date: date = Field(description="The local calendar day of the meeting.")
    race_number: int
    start_at: datetime
    name: str | None
    distance: int = Field(description="Metres.")
    surface: str | None
    course: str | None
    going: str | None
    race_class: str | None
    rating_band: str | None
    prize: float | None
    n_runners: int = Field(description="Runners on the card.")
    n_predicted: int = Field(description="Runners the current snapshot gives probabilities.")
    favourite: FavouritePublic | None


class RacesPublic(Public):
    """The races of one day (optionally of one venue), by start."""

    date: date
    venue: str | None
    count: int
    snapshot: SnapshotPublic | None = Field(
        description="The races domain's current snapshot (null before it publishes)."
    )
    data: list[RaceSummaryPublic]


class RunnerDriverPublic(Public):
    """One feature's part in a runner's win score."""

    feature: str
    value: float | None
    contribution: float | None


class RunnerPublic(Public):
    runner_id: int
    saddle_number: int | None
    draw: int | None
    horse: NamedPublic
    horse_age: int | None
    jockey: NamedPublic | None
    trainer: NamedPublic | None
    carried_weight: float | None
    declared_weight: float | None
    rating: int | None
    gear: str | None
    p_win: float | None
    p_place: float | None
    fair_win: float | None = Field(description="1 / p_win: the fair decimal odds.")
    fair_place: float | None
    drivers: list[RunnerDriverPublic]


class RacePredictionPublic(Public):
    """Who predicted the race, from which snapshot."""

    snapshot_id: int
    as_of: datetime
    model_version_ids: list[int] = Field(description="The models behind the runners' rows.")
    information: list[str] = Field(description="The information states they used.")


class RaceCardPublic(RaceSummaryPublic):
    """A race card: the race, its runners by saddle number, and the current prediction."""

    field_size: int | None = Field(description="Runners that started, once known.")
    snapshot: SnapshotPublic | None = Field(
        description="The races domain's current snapshot (null before it publishes)."
    )
    prediction: RacePredictionPublic | None = Field(
        description="Null when the current snapshot does not cover the race."
    )
    runners: list[RunnerPublic]


# --- current form ------------------------------------------------------------------------------


class FormPublic(Public):
    """Starts, wins and places (finishes in the first three) known before ``as_of``: career
    and over the 365 days before it, with the last runs' finishing positions (latest first;
    null for a run without one)."""

    runs: int
    wins: int
    places: int
    strike_rate: float | None
    place_rate: float | None
    runs_365: int
    wins_365: int
    places_365: int
    strike_rate_365: float | None
    place_rate_365: float | None
    last_run_at: datetime | None
    last_positions: list[int | None] = Field(description="Up to 5, the latest first.")


class ConnectionPublic(FormPublic):
    """The record of a pairing (a jockey on a horse, a jockey for a trainer)."""

    partner: NamedPublic


class FormStampPublic(Public):
    as_of: datetime = Field(description="Only results known before this instant count.")
    refreshed_at: datetime


class EntityFormPublic(Public):
    """A horse, jockey or trainer with its current form and connections (null and empty before
    the first ``refresh:views``)."""

    id: int
    name: str | None
    key: str = Field(description="The store's key, '<source>:<source id>' for a loaded one.")
    views: FormStampPublic | None
    form: FormPublic | None


class HorsePublic(EntityFormPublic):
    country: str | None
    sex: str | None
    jockeys: list[ConnectionPublic] = Field(description="Its jockeys, most rides first.")


class JockeyPublic(EntityFormPublic):
    horses: list[ConnectionPublic] = Field(description="Horses ridden, most rides first.")
    trainers: list[ConnectionPublic] = Field(description="Trainers ridden for, most first.")


class TrainerPublic(EntityFormPublic):
    jockeys: list[ConnectionPublic] = Field(description="Jockeys of its runners, most first.")
