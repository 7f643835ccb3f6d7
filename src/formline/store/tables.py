"""The store's tables (SQLAlchemy Core). The Alembic migrations create exactly these.

Every fact row carries ``observed_at``: when formline may consider it known, as opposed to when
the event happened. Features are defined by ``observed_at`` only (see docs/as-of.md).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from formline.store.types import UTCDateTime

# JSONB on PostgreSQL (comparable, indexable); JSON text elsewhere.
Json = JSON().with_variant(JSONB(), "postgresql")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# Integer primary keys that autoincrement on both SQLite and PostgreSQL.
Id = BigInteger().with_variant(Integer(), "sqlite")

ingest_rejects = Table(
    "ingest_rejects",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("source_file", Text, nullable=False),
    Column("source_line", Integer, nullable=False),
    Column("column", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("raw", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("source_file", "source_line", "column", name="uq_ingest_rejects_location"),
)

# Keyed by domain and event, without a foreign key (the event's table is the domain's): the
# matches domain's triggers delete a match's snapshots with it (revision 0004, see
# formline.matches.tables).
feature_snapshots = Table(
    "feature_snapshots",
    metadata,
    Column("domain", String(32), primary_key=True),
    # The event's id in the domain's own table (a match id for "matches").
    Column("event_id", Id, primary_key=True, autoincrement=False),
    # A part of the event with features of its own (a runner); "" for the event itself.
    Column("unit", String(64), primary_key=True, server_default=""),
    # The cutoff the features are true as of: min(start of the event, as_of of the build).
    Column("as_of", UTCDateTime(), primary_key=True),
    # The feature set's schema hash (see formline.matches.features.FEATURE_SET_VERSION).
    Column("feature_version", String(32), primary_key=True),
    Column("features", Json, nullable=False),
    Column("computed_at", UTCDateTime(), nullable=False),
)

feature_builds = Table(
    "feature_builds",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("domain", String(32), nullable=False),
    Column("as_of", UTCDateTime(), nullable=False),
    Column("feature_version", String(32), nullable=False),
    Column("feature_names", Json, nullable=False),
    Column("n_matches", Integer, nullable=False),
    Column("n_written", Integer, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# --- Models, predictions and jobs (revision 0002) -----------------------------------------------

MODEL_STATUSES = ("training", "completed", "failed", "deployed", "archived")
#: The whole of a domain: a model whose scope is this predicts every competition.
ALL_SCOPE = "*"
PROMOTION_ACTIONS = ("deploy", "rollback", "archive", "reject")
JOB_STATUSES = ("running", "succeeded", "failed", "skipped", "aborted", "duplicate")
#: A task claim's states (see formline.store.claims).
CLAIM_STATUSES = ("running", "succeeded", "failed")
JOB_TRIGGERS = ("manual", "cron", "api")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


_DEPLOYED = text("status = 'deployed'")

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("model_type", String(64), nullable=False),
    # 1, 2, ... per name, allocated by formline.store.registry.create_model_version.
    Column("version", Integer, nullable=False),
    Column("horizon_days", Integer, nullable=False),
    # The domain the model predicts ("matches"), with the scope and information state of its
    # champion slot: one deployed model per (domain, scope, information).
    Column("domain", String(32), nullable=False),
    # The training filter; NULL means every competition.
    Column("competition", String(64)),
    # What the model may predict: a competition code, or ALL_SCOPE ("*") for every competition.
    Column("scope", String(64), nullable=False, server_default=ALL_SCOPE),
    # The information state the model needs at as_of: "market" (prices observed) or
    # "no_market" (results and statistics only).
    Column("information", String(32), nullable=False),
    Column("training_as_of", UTCDateTime(), nullable=False),
    Column("window_start", UTCDateTime(), nullable=False),
    Column("window_end", UTCDateTime(), nullable=False),
    # 0 and {} until the run completes.
    Column("n_train", Integer, nullable=False),
    Column("n_validation", Integer, nullable=False),
    Column("feature_version", String(32), nullable=False),
    Column("feature_names", Json, nullable=False),
    Column("uses_market", Boolean(), nullable=False),
    Column("hyperparameters", Json, nullable=False),
    Column("metrics", Json, nullable=False),
    Column("market_metrics", Json),
    Column("validation", Json),
    Column("artifact_path", Text),
    Column("artifact_sha256", String(64)),
    Column("status", String(16), nullable=False),
    Column("status_reason", Text),
    Column("error", Text),
    Column("random_state", BigInteger),
    Column("train_seconds", Float),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("deployed_at", UTCDateTime()),
    # The job run that trained it (revision 0003): a killed run's row is failed with it.
    Column("job_run_id", Id, ForeignKey("job_runs.id")),
    UniqueConstraint("name", "version", name="uq_model_versions_name_version"),
    CheckConstraint(_one_of("status", MODEL_STATUSES), name="status"),
    # At most one deployed model (the current champion) per slot.
    Index(
        "uq_model_versions_one_deployed_per_slot",
        "domain",
        "scope",
        "information",
        unique=True,
        sqlite_where=_DEPLOYED,
        postgresql_where=_DEPLOYED,
    ),
)

# Append-only: migration 0002 adds triggers that refuse UPDATE and DELETE.
model_promotions = Table(
    "model_promotions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("action", String(16), nullable=False),
    Column("model_version_id", Id, ForeignKey("model_versions.id"), nullable=False),
    Column("previous_model_version_id", Id, ForeignKey("model_versions.id")),
    Column("reason", Text, nullable=False),
    Column("metrics", Json),
    Column("previous_metrics", Json),
    Column("triggered_by", String(64)),
    # The champion slot the decision is about (copied from the model).
    Column("domain", String(32), nullable=False),
    Column("scope", String(64), nullable=False, server_default=ALL_SCOPE),
    Column("information", String(32), nullable=False),
    # The as_of instant from which a deploy holds: the champion as of T is the newest deploy with
    # effective_at <= T that no rollback revoked (formline.store.promotions.champion_at).
    Column("effective_at", UTCDateTime(), nullable=False),
    # A rollback names the deploy it revokes.
    Column("revokes_promotion_id", Id, ForeignKey("model_promotions.id")),
    CheckConstraint(_one_of("action", PROMOTION_ACTIONS), name="action"),
    Index("ix_model_promotions_model_version_id", "model_version_id"),
    Index("ix_model_promotions_slot", "domain", "scope", "information", "effective_at"),
)

prediction_snapshots = Table(
    "prediction_snapshots",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("domain", String(32), nullable=False),
    # The model of every prediction when there is one; NULL when several champions (one per
    # information state or scope) predicted: each prediction names its own.
    Column("model_version_id", Id, ForeignKey("model_versions.id")),
    # The models behind the snapshot, ids sorted and comma-separated ("3,7"): part of its identity.
    Column("models_key", String(200), nullable=False),
    Column("as_of", UTCDateTime(), nullable=False),
    Column("horizon_days", Integer, nullable=False),
    Column("feature_version", String(32), nullable=False),
    Column("n_predictions", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint(
        "domain", "models_key", "as_of", "horizon_days", name="uq_prediction_snapshots_natural_key"
    ),
)

# A snapshot's predictions in long form (revision 0004), for any domain: one row in
# predicted_events per predicted event (and unit), with the model, its information state and the
# drivers; one row in predictions per (market, selection, line) with its probability. The event
# has no foreign key here (its table is the domain's); the matches domain's triggers refuse
# deleting a predicted match (see formline.matches.tables).
predicted_events = Table(
    "predicted_events",
    metadata,
    Column(
        "snapshot_id",
        Id,
        ForeignKey("prediction_snapshots.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # The event's id in the domain's own table (a match id for "matches").
    Column("event_id", Id, primary_key=True, autoincrement=False),
    # What of the event is predicted: "" for the event itself, else a runner or a candidate.
    Column("unit", String(64), primary_key=True, server_default=""),
    # Which champion predicted it, and the information state it used at as_of.
    Column("model_version_id", Id, ForeignKey("model_versions.id"), nullable=False),
    Column("information", String(32), nullable=False),
    # [{"feature", "value", <outcome>: contribution, ...}, ...]
    Column("drivers", Json, nullable=False),
    Index("ix_predicted_events_event_id", "event_id"),
    Index("ix_predicted_events_model_version_id", "model_version_id"),
)

predictions = Table(
    "predictions",
    metadata,
    Column("snapshot_id", Id, primary_key=True, autoincrement=False),
    Column("event_id", Id, primary_key=True, autoincrement=False),
    Column("unit", String(64), primary_key=True, server_default=""),
    # The market ("1x2", "over_under", ...), the selection in it and its line; a market
    # without a line has line 0, as in the matches domain's odds.
    Column("market", String(32), primary_key=True),
    Column("selection", String(64), primary_key=True),
    Column("line", Float, primary_key=True),
    Column("probability", Float, nullable=False),
    Column("fair_odds", Float),
    ForeignKeyConstraint(
        ["snapshot_id", "event_id", "unit"],
        [predicted_events.c.snapshot_id, predicted_events.c.event_id, predicted_events.c.unit],
        ondelete="CASCADE",
    ),
    CheckConstraint("probability >= 0 AND probability <= 1", name="probability_in_unit_interval"),
)

# The current-snapshot pointer per domain and publication name ("default"), flipped atomically
# on publish (revision 0005 added the domain to the key).
publications = Table(
    "publications",
    metadata,
    Column("domain", String(32), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("snapshot_id", Id, ForeignKey("prediction_snapshots.id"), nullable=False),
    Column("published_at", UTCDateTime(), nullable=False),
)

# Season simulations (revision 0012): one immutable snapshot per simulated season as of an
# instant (its models, draws and seed: the same inputs give the same snapshot), one row per team,
# and a pointer per competition to the latest published one, moved with the rows in one
# transaction (see formline.store.simulations).
simulation_snapshots = Table(
    "simulation_snapshots",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("domain", String(32), nullable=False),
    Column("competition", String(64), nullable=False),
    Column("season", String(16), nullable=False),
    Column("as_of", UTCDateTime(), nullable=False),
    # The models behind the forecasts, ids sorted and comma-separated ("3,7").
    Column("models_key", String(200), nullable=False),
    # Per model: its id, information state and how many games it drew.
    Column("models", Json, nullable=False),
    Column("n_sims", Integer, nullable=False),
    Column("seed", BigInteger, nullable=False),
    # What the games were drawn from: score grids or outcome probabilities.
    Column("draws", String(16), nullable=False),
    Column("top", Integer, nullable=False),
    # The bottom places counted as relegated; 0 when the league's relegation is not known.
    Column("relegated", Integer, nullable=False),
    Column("points_label", String(32), nullable=False),
    Column("n_teams", Integer, nullable=False),
    Column("n_played", Integer, nullable=False),
    Column("n_remaining", Integer, nullable=False),
    Column("simplifications", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint("n_sims > 0", name="n_sims_positive"),
    CheckConstraint("draws IN ('score_grids', 'outcomes')", name="draws"),
    CheckConstraint("relegated >= 0 AND top > 0", name="places"),
    UniqueConstraint(
        "domain",
        "competition",
        "season",
        "as_of",
        "models_key",
        "n_sims",
        "seed",
        "top",
        "relegated",
        name="uq_simulation_snapshots_natural_key",
    ),
)

simulation_teams = Table(
    "simulation_teams",
    metadata,
    Column("simulation_id", Id, ForeignKey("simulation_snapshots.id"), primary_key=True),
    Column("team", String(200), primary_key=True),
    # 1 = the best expected points (ties by name).
    Column("rank", Integer, nullable=False),
    Column("expected_points", Float, nullable=False),
    Column("p_title", Float, nullable=False),
    Column("p_top", Float, nullable=False),
    # NULL when the snapshot counts no relegation.
    Column("p_relegation", Float),
    # P(finishing 1st), P(2nd) ... one per team of the table.
    Column("positions", Json, nullable=False),
    CheckConstraint("p_title BETWEEN 0 AND 1 AND p_top BETWEEN 0 AND 1", name="probabilities"),
    CheckConstraint(
        "p_relegation IS NULL OR p_relegation BETWEEN 0 AND 1", name="p_relegation_range"
    ),
)

simulation_publications = Table(
    "simulation_publications",
    metadata,
    Column("domain", String(32), primary_key=True),
    Column("competition", String(64), primary_key=True),
    Column("simulation_id", Id, ForeignKey("simulation_snapshots.id"), nullable=False),
    Column("published_at", UTCDateTime(), nullable=False),
)

job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # Groups the steps of one daily run (a UUID).
    Column("run_id", String(36), nullable=False),
    Column("step", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Column("rows", Integer),
    Column("error", Text),
    Column("triggered_by", String(16), nullable=False),
    Column("params", Json),
    # Revision 0003: what the step did or why it was skipped; its owner and its heartbeat.
    Column("detail", Text),
    Column("host", String(255)),
    Column("pid", Integer),
    Column("heartbeat_at", UTCDateTime()),
    CheckConstraint(_one_of("status", JOB_STATUSES), name="status"),
    CheckConstraint(_one_of("triggered_by", JOB_TRIGGERS), name="triggered_by"),
    Index("ix_job_runs_run_id", "run_id"),
    Index("ix_job_runs_started_at", "started_at"),
)

BACKFILL_STATUSES = ("done", "failed")

# Revision 0011: a backfill's watermarks, one row per partition (source, competition and period:
# a season or a month): done with its rows and the checksum of the payload loaded, or failed
# with why. A partition being loaded has no row until its load commits (in the same
# transaction), so a killed backfill leaves no trace of the partition it was on.
backfill_partitions = Table(
    "backfill_partitions",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("competition", String(32), primary_key=True),
    Column("period", String(16), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("url", Text),
    Column("rows", Integer),
    Column("rejects", Integer),
    Column("checksum", String(64)),
    Column("fetched_at", UTCDateTime()),
    Column("error", Text),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint(_one_of("status", BACKFILL_STATUSES), name="status"),
)

# Revision 0013: one row per distributed step and partition (see formline.store.claims). Its
# primary key is what makes a second delivery of the same step a duplicate: the insert that
# claims it does nothing when the key is taken.
task_claims = Table(
    "task_claims",
    metadata,
    # step|domain|partition|as_of|options hash, readable.
    Column("key", String(255), primary_key=True),
    Column("step", String(64), nullable=False),
    Column("domain", String(32), nullable=False),
    Column("partition", String(128), nullable=False),
    Column("as_of", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    # The job run that holds the claim: the delivery that runs (or ran) the step.
    Column("job_run_id", Id, ForeignKey("job_runs.id"), nullable=False),
    Column("result", Json),
    Column("error", Text),
    Column("claimed_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    CheckConstraint(_one_of("status", CLAIM_STATUSES), name="status"),
)
