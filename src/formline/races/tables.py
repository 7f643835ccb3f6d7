"""The racing tables: venues, races, horses, jockeys, trainers (with their source aliases),
runners, their results, odds and dividends.

They live on the store's one ``metadata`` (formline.store.tables), so the Alembic migrations see
them; migration 0006_races_tables creates them.

Point in time: every fact row carries ``observed_at``, and the facts known at different times
live in different rows, so a reader as of ``T`` keeps the rows with ``observed_at < T``:

* ``races`` and ``runners`` hold the race card (known before the race);
* ``race_results`` and ``runner_results`` hold what the race revealed (the leader's sectionals;
  each runner's finishing position, margins, running positions, sectional and finish times),
  observed when the race ends;
* ``race_odds`` hold prices, final ones observed at the off; ``race_dividends`` the pools' pay
  outs, observed when the race ends.

Horses, jockeys and trainers are entities of the store's own; a source names one by its id or
name, and ``<entity>_aliases`` maps ``(source, source_key)`` onto it. An entity made by a load
has ``key`` ``"<source>:<source_key>"`` (its first alias).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from formline.races.vocabulary import (
    N_CALLS,
    N_RACE_SECTIONS,
    ODDS_KINDS,
    ODDS_MARKETS,
    RUNNER_STATUSES,
    SURFACES,
)
from formline.store.tables import Id, metadata
from formline.store.types import UTCDateTime


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _stamps() -> list[Column[object]]:
    return [
        Column("created_at", UTCDateTime(), nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False),
    ]


race_venues = Table(
    "race_venues",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("country", String(100)),
    Column("timezone", String(64)),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("code", name="uq_race_venues_code"),
)


def _entity(name: str, *extra: Column[object]) -> tuple[Table, Table]:
    """An entity table (``horses``) and its alias table (``horse_aliases``)."""
    entity = Table(
        name,
        metadata,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("key", String(200), nullable=False),
        Column("name", String(200)),
        *extra,
        *_stamps(),
        UniqueConstraint("key", name=f"uq_{name}_key"),
    )
    singular = name[:-1]
    aliases = Table(
        f"{singular}_aliases",
        metadata,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("source", String(64), nullable=False),
        Column("source_key", String(200), nullable=False),
        Column(f"{singular}_id", Id, ForeignKey(f"{name}.id", ondelete="CASCADE"), nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        UniqueConstraint("source", "source_key", name=f"uq_{singular}_aliases_source_key"),
        Index(f"ix_{singular}_aliases_{singular}_id", f"{singular}_id"),
    )
    return entity, aliases


horses, horse_aliases = _entity("horses", Column("country", String(32)), Column("sex", String(32)))
jockeys, jockey_aliases = _entity("jockeys")
trainers, trainer_aliases = _entity("trainers")

races = Table(
    "races",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("venue_id", Id, ForeignKey("race_venues.id"), nullable=False),
    # The local calendar day, YYYY-MM-DD: with the venue and number, the race's identity.
    Column("race_date", String(10), nullable=False),
    Column("race_number", Integer, nullable=False),
    Column("start_at", UTCDateTime(), nullable=False),
    Column("name", String(200)),
    Column("distance", Integer, nullable=False),
    Column("surface", String(16)),
    Column("course", String(32)),
    Column("going", String(32)),
    Column("race_class", String(16)),
    Column("rating_band", String(16)),
    Column("prize", Float),
    Column("field_size", Integer),
    Column("source_race_id", String(64)),
    # When the card was known (before the race).
    Column("observed_at", UTCDateTime(), nullable=False),
    Column("source", String(64), nullable=False),
    Column("source_file", Text),
    Column("source_line", Integer),
    *_stamps(),
    UniqueConstraint("venue_id", "race_date", "race_number", name="uq_races_natural_key"),
    CheckConstraint("race_number > 0", name="race_number_positive"),
    CheckConstraint("distance > 0", name="distance_positive"),
    CheckConstraint(f"surface IS NULL OR {_one_of('surface', SURFACES)}", name="surface"),
    Index("ix_races_start_at", "start_at"),
    Index("ix_races_observed_at", "observed_at"),
)

race_results = Table(
    "race_results",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("race_id", Id, ForeignKey("races.id", ondelete="CASCADE"), nullable=False),
    *[Column(f"leader_section_time_{i}", Float) for i in range(1, N_RACE_SECTIONS + 1)],
    # When the race ended.
    Column("observed_at", UTCDateTime(), nullable=False),
    Column("source", String(64), nullable=False),
    *_stamps(),
    UniqueConstraint("race_id", name="uq_race_results_race_id"),
    Index("ix_race_results_observed_at", "observed_at"),
)

runners = Table(
    "runners",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("race_id", Id, ForeignKey("races.id", ondelete="CASCADE"), nullable=False),
    Column("horse_id", Id, ForeignKey("horses.id"), nullable=False),
    Column("saddle_number", Integer),
    Column("draw", Integer),
    Column("carried_weight", Float),
    Column("declared_weight", Float),
    Column("rating", Integer),
    Column("gear", String(64)),
    Column("horse_age", Integer),
    Column("jockey_id", Id, ForeignKey("jockeys.id")),
    Column("trainer_id", Id, ForeignKey("trainers.id")),
    # When the card was known (before the race).
    Column("observed_at", UTCDateTime(), nullable=False),
    Column("source", String(64), nullable=False),
    Column("source_file", Text),
    Column("source_line", Integer),
    *_stamps(),
    UniqueConstraint("race_id", "horse_id", name="uq_runners_natural_key"),
    Index("ix_runners_horse_id", "horse_id"),
    Index("ix_runners_jockey_id", "jockey_id"),
    Index("ix_runners_trainer_id", "trainer_id"),
    Index("ix_runners_observed_at", "observed_at"),
)

runner_results = Table(
    "runner_results",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("runner_id", Id, ForeignKey("runners.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("result_code", String(16)),
    Column("finish_position", Integer),
    Column("dead_heat", Boolean(), nullable=False),
    Column("lengths_behind", Float),
    *[Column(f"position_{i}", Integer) for i in range(1, N_CALLS + 1)],
    *[Column(f"behind_{i}", Float) for i in range(1, N_CALLS + 1)],
    *[Column(f"section_time_{i}", Float) for i in range(1, N_CALLS + 1)],
    Column("finish_time", Float),
    # When the race ended.
    Column("observed_at", UTCDateTime(), nullable=False),
    Column("source", String(64), nullable=False),
    *_stamps(),
    UniqueConstraint("runner_id", name="uq_runner_results_runner_id"),
    CheckConstraint(_one_of("status", RUNNER_STATUSES), name="status"),
    CheckConstraint(
        "(status = 'finished') = (finish_position IS NOT NULL)", name="position_iff_finished"
    ),
    CheckConstraint("finish_position IS NULL OR finish_position > 0", name="position_positive"),
    Index("ix_runner_results_observed_at", "observed_at"),
)

race_odds = Table(
    "race_odds",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("runner_id", Id, ForeignKey("runners.id", ondelete="CASCADE"), nullable=False),
    Column("market", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("value", Float, nullable=False),
    Column("captured_at", UTCDateTime(), nullable=False),
    Column("observed_at", UTCDateTime(), nullable=False),
    Column("source", String(64), nullable=False),
    *_stamps(),
    UniqueConstraint("runner_id", "market", "kind", name="uq_race_odds_natural_key"),
    CheckConstraint(_one_of("market", ODDS_MARKETS), name="market"),
    CheckConstraint(_one_of("kind", ODDS_KINDS), name="kind"),
    # Tote odds of 1.0 occur (a refund-level price), so 1 is allowed, below it is not.
    CheckConstraint("value >= 1", name="value_at_least_one"),
    Index("ix_race_odds_observed_at", "observed_at"),
)

race_dividends = Table(
    "race_dividends",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("race_id", Id, ForeignKey("races.id", ondelete="CASCADE"), nullable=False),
    Column("pool", String(32), nullable=False),
    Column("combination", String(64), nullable=False),
    Column("dividend", Float, nullable=False),
    # When the race ended.
    Column("observed_at", UTCDateTime(), nullable=False),
    Column("source", String(64), nullable=False),
    *_stamps(),
    UniqueConstraint("race_id", "pool", "combination", name="uq_race_dividends_natural_key"),
    CheckConstraint("dividend >= 0", name="dividend_non_negative"),
)

#: Every racing table, parents first (the order a load writes them in).
RACE_TABLES = (
    race_venues,
    horses,
    horse_aliases,
    jockeys,
    jockey_aliases,
    trainers,
    trainer_aliases,
    races,
    race_results,
    runners,
    runner_results,
    race_odds,
    race_dividends,
)
