"""long-format predictions, feature snapshots keyed by domain, guards on matches

Revision ID: 0004_long_predictions
Revises: 0003_reliability
Create Date: 2026-12-03

Predictions move from one football-shaped row per match (``p_home`` ... ``fair_under_2_5``) to
the long form every domain can use: ``predicted_events`` (one row per snapshot, event and unit,
with the model, its information state and the drivers) and ``predictions`` (one row per market,
selection and line, with its probability and fair odds). A football row becomes five: 1x2
home/draw/away (line 0, as in ``odds``), over/under 2.5 over and under (the under probability is
``1 - p_over_2_5``, its fair odds ``fair_under_2_5``).

``feature_snapshots`` is keyed by (domain, event, unit, as_of, feature version) and
``feature_builds`` names its domain. Neither table can keep a foreign key to ``matches``, so the
matches domain guards its own table with triggers: deleting a match that a matches snapshot
predicted is refused (it was a cascade before), and deleting a match deletes its feature
snapshots (as the cascade did).

The downgrade is lossless for what revision 0003 can hold (matches predictions of the event
itself in exactly those five rows, matches feature snapshots); it refuses anything else.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import SchemaItem

from formline.errors import StoreError

revision = "0004_long_predictions"
down_revision = "0003_reliability"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TS = sa.DateTime(timezone=True)

#: (market, selection, line, probability in the wide row, fair odds in the wide row); the under
#: row's probability is the complement of the over row's.
_CELLS = (
    ("1x2", "home", 0.0, "p_home", "fair_home"),
    ("1x2", "draw", 0.0, "p_draw", "fair_draw"),
    ("1x2", "away", 0.0, "p_away", "fair_away"),
    ("over_under", "over", 2.5, "p_over_2_5", "fair_over_2_5"),
    ("over_under", "under", 2.5, "1 - p_over_2_5", "fair_under_2_5"),
)
_WIDE = ("p_home", "p_draw", "p_away", "p_over_2_5", *(c[4] for c in _CELLS))

#: What refusing to delete a predicted match says (SQLite's RAISE takes a literal only).
_REFUSED = "stored predictions are of this match; delete their snapshots before the match"
_MATCHES_SNAPSHOT = "SELECT 1 FROM predicted_events pe JOIN prediction_snapshots s ON s.id = "
_MISSING = "a prediction of a matches snapshot names a match that does not exist"
_OF_MATCHES = "SELECT 1 FROM prediction_snapshots WHERE id = NEW.snapshot_id AND domain = 'matches'"
_NO_MATCH = "NOT EXISTS (SELECT 1 FROM matches WHERE id = NEW.event_id)"
#: (trigger, table) of every guard, dropped in this order.
_TRIGGERS = (
    ("matches_keep_predicted", "matches"),
    ("matches_delete_feature_snapshots", "matches"),
    ("predicted_events_match_exists", "predicted_events"),
)
_SQLITE_TRIGGERS = [
    "CREATE TRIGGER predicted_events_match_exists BEFORE INSERT ON predicted_events "
    f"WHEN EXISTS ({_OF_MATCHES}) AND {_NO_MATCH} "
    f"BEGIN SELECT RAISE(ABORT, '{_MISSING}'); END",
    "CREATE TRIGGER matches_keep_predicted BEFORE DELETE ON matches WHEN EXISTS ("
    f"{_MATCHES_SNAPSHOT}pe.snapshot_id WHERE pe.event_id = OLD.id AND s.domain = 'matches') "
    f"BEGIN SELECT RAISE(ABORT, 'refusing to delete a match: {_REFUSED}'); END",
    "CREATE TRIGGER matches_delete_feature_snapshots AFTER DELETE ON matches BEGIN "
    "DELETE FROM feature_snapshots WHERE domain = 'matches' AND event_id = OLD.id; END",
]
_POSTGRES_TRIGGERS = [
    f"""
    CREATE OR REPLACE FUNCTION predicted_events_match_exists() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS ({_OF_MATCHES}) AND {_NO_MATCH} THEN
            RAISE EXCEPTION '{_MISSING} (match %)', NEW.event_id
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NEW;
    END;
    $$
    """,
    "CREATE TRIGGER predicted_events_match_exists BEFORE INSERT ON predicted_events "
    "FOR EACH ROW EXECUTE FUNCTION predicted_events_match_exists()",
    f"""
    CREATE OR REPLACE FUNCTION matches_keep_predicted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS ({_MATCHES_SNAPSHOT}pe.snapshot_id
                   WHERE pe.event_id = OLD.id AND s.domain = 'matches') THEN
            RAISE EXCEPTION 'refusing to delete match %: {_REFUSED}', OLD.id
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END;
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION matches_delete_feature_snapshots() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM feature_snapshots WHERE domain = 'matches' AND event_id = OLD.id;
        RETURN OLD;
    END;
    $$
    """,
    "CREATE TRIGGER matches_keep_predicted BEFORE DELETE ON matches "
    "FOR EACH ROW EXECUTE FUNCTION matches_keep_predicted()",
    "CREATE TRIGGER matches_delete_feature_snapshots AFTER DELETE ON matches "
    "FOR EACH ROW EXECUTE FUNCTION matches_delete_feature_snapshots()",
]


def _refuse(conn: sa.Connection, what: str, count_sql: str) -> None:
    n = conn.execute(sa.text(count_sql)).scalar_one()
    if n:
        raise StoreError(
            f"downgrading to revision 0003: {n} {what}, which revision 0003 cannot store; "
            "delete them before downgrading"
        )


def _create_predicted_events() -> None:
    op.create_table(
        "predicted_events",
        sa.Column("snapshot_id", _ID, nullable=False),
        sa.Column("event_id", _ID, autoincrement=False, nullable=False),
        sa.Column("unit", sa.String(length=64), server_default="", nullable=False),
        sa.Column("model_version_id", _ID, nullable=False),
        sa.Column("information", sa.String(length=32), nullable=False),
        sa.Column("drivers", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_predicted_events_model_version_id_model_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["prediction_snapshots.id"],
            name=op.f("fk_predicted_events_snapshot_id_prediction_snapshots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "snapshot_id", "event_id", "unit", name=op.f("pk_predicted_events")
        ),
    )
    op.create_index("ix_predicted_events_event_id", "predicted_events", ["event_id"])
    op.create_index(
        "ix_predicted_events_model_version_id", "predicted_events", ["model_version_id"]
    )


def _create_long_predictions() -> None:
    op.create_table(
        "predictions",
        sa.Column("snapshot_id", _ID, autoincrement=False, nullable=False),
        sa.Column("event_id", _ID, autoincrement=False, nullable=False),
        sa.Column("unit", sa.String(length=64), server_default="", nullable=False),
        sa.Column("market", sa.String(length=32), nullable=False),
        sa.Column("selection", sa.String(length=64), nullable=False),
        sa.Column("line", sa.Float(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("fair_odds", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "probability >= 0 AND probability <= 1",
            name=op.f("ck_predictions_probability_in_unit_interval"),
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id", "event_id", "unit"],
            ["predicted_events.snapshot_id", "predicted_events.event_id", "predicted_events.unit"],
            name=op.f("fk_predictions_snapshot_id_predicted_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "snapshot_id",
            "event_id",
            "unit",
            "market",
            "selection",
            "line",
            name=op.f("pk_predictions"),
        ),
    )


def _create_wide_predictions() -> None:
    """The ``predictions`` table of revision 0003."""
    op.create_table(
        "predictions",
        sa.Column("snapshot_id", _ID, nullable=False),
        sa.Column("match_id", _ID, nullable=False),
        *[sa.Column(p, sa.Float(), nullable=False) for p in _WIDE[:4]],
        *[sa.Column(f, sa.Float(), nullable=True) for f in _WIDE[4:]],
        sa.Column("drivers", _JSON, nullable=False),
        sa.Column("model_version_id", _ID, nullable=False),
        sa.Column("information", sa.String(length=32), nullable=False),
        sa.CheckConstraint(
            " AND ".join(f"{p} >= 0 AND {p} <= 1" for p in _WIDE[:4]),
            name=op.f("ck_predictions_probabilities_in_unit_interval"),
        ),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["matches.id"],
            name=op.f("fk_predictions_match_id_matches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["prediction_snapshots.id"],
            name=op.f("fk_predictions_snapshot_id_prediction_snapshots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name="fk_predictions_model_version_id_model_versions",
        ),
        sa.PrimaryKeyConstraint("snapshot_id", "match_id", name=op.f("pk_predictions")),
    )
    op.create_index("ix_predictions_match_id", "predictions", ["match_id"])
    op.create_index("ix_predictions_model_version_id", "predictions", ["model_version_id"])


def _create_feature_snapshots(generic: bool) -> None:
    key: list[SchemaItem]
    if generic:
        key = [
            sa.Column("domain", sa.String(length=32), nullable=False),
            sa.Column("event_id", _ID, autoincrement=False, nullable=False),
            sa.Column("unit", sa.String(length=64), server_default="", nullable=False),
        ]
        extra: list[SchemaItem] = []
        pk: tuple[str, ...] = ("domain", "event_id", "unit", "as_of", "feature_version")
    else:
        key = [sa.Column("match_id", _ID, nullable=False)]
        extra = [
            sa.ForeignKeyConstraint(
                ["match_id"],
                ["matches.id"],
                name=op.f("fk_feature_snapshots_match_id_matches"),
                ondelete="CASCADE",
            )
        ]
        pk = ("match_id", "as_of", "feature_version")
    op.create_table(
        "feature_snapshots",
        *key,
        sa.Column("as_of", _TS, nullable=False),
        sa.Column("feature_version", sa.String(length=32), nullable=False),
        sa.Column("features", _JSON, nullable=False),
        sa.Column("computed_at", _TS, nullable=False),
        *extra,
        sa.PrimaryKeyConstraint(*pk, name=op.f("pk_feature_snapshots")),
    )


def _stash(conn: sa.Connection, name: str, select_sql: str) -> None:
    conn.execute(sa.text(f"CREATE TABLE {name} AS {select_sql}"))


def upgrade() -> None:
    conn = op.get_bind()
    dialect = conn.dialect.name
    _create_predicted_events()
    conn.execute(
        sa.text(
            "INSERT INTO predicted_events (snapshot_id, event_id, unit, model_version_id, "
            "information, drivers) SELECT snapshot_id, match_id, '', model_version_id, "
            "information, drivers FROM predictions"
        )
    )
    _stash(
        conn,
        "predictions_0003",
        f"SELECT snapshot_id, match_id, {', '.join(_WIDE)} FROM predictions",
    )
    op.drop_table("predictions")
    _create_long_predictions()
    for market, selection, line, probability, fair in _CELLS:
        conn.execute(
            sa.text(
                "INSERT INTO predictions (snapshot_id, event_id, unit, market, selection, line, "
                f"probability, fair_odds) SELECT snapshot_id, match_id, '', '{market}', "
                f"'{selection}', {line}, {probability}, {fair} FROM predictions_0003"
            )
        )
    op.drop_table("predictions_0003")

    _stash(conn, "feature_snapshots_0003", "SELECT * FROM feature_snapshots")
    op.drop_table("feature_snapshots")
    _create_feature_snapshots(generic=True)
    conn.execute(
        sa.text(
            "INSERT INTO feature_snapshots (domain, event_id, unit, as_of, feature_version, "
            "features, computed_at) SELECT 'matches', match_id, '', as_of, feature_version, "
            "features, computed_at FROM feature_snapshots_0003"
        )
    )
    op.drop_table("feature_snapshots_0003")
    with op.batch_alter_table("feature_builds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("domain", sa.String(length=32), server_default="matches", nullable=False)
        )
    for statement in _POSTGRES_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    conn = op.get_bind()
    dialect = conn.dialect.name
    _refuse(
        conn,
        "predicted events are of another domain or of a unit of an event",
        "SELECT count(*) FROM predicted_events pe JOIN prediction_snapshots s ON "
        "s.id = pe.snapshot_id WHERE s.domain <> 'matches' OR pe.unit <> ''",
    )
    cells = " OR ".join(
        f"(market = '{m}' AND selection = '{s}' AND line = {line})" for m, s, line, _, _ in _CELLS
    )
    _refuse(
        conn,
        "predictions are of another market",
        f"SELECT count(*) FROM predictions WHERE NOT ({cells})",
    )
    pick = ", ".join(
        f"MAX(CASE WHEN market = '{m}' AND selection = '{s}' AND line = {line} "
        f"THEN {column} END) AS {name}"
        for m, s, line, p, f in _CELLS
        for column, name in (("probability", p), ("fair_odds", f))
        if not name.startswith("1 - ")
    )
    counted = "COUNT(*) AS n_rows, " + (
        "MAX(CASE WHEN selection = 'under' THEN probability END) AS p_under_2_5"
    )
    _stash(
        conn,
        "predictions_0004",
        f"SELECT snapshot_id, event_id, {pick}, {counted} FROM predictions "
        "GROUP BY snapshot_id, event_id",
    )
    _refuse(
        conn,
        "predicted events lack one of the five rows of a match prediction, or have an under "
        "probability that is not 1 - over",
        "SELECT count(*) FROM predicted_events pe LEFT JOIN predictions_0004 w ON "
        "w.snapshot_id = pe.snapshot_id AND w.event_id = pe.event_id WHERE w.n_rows IS NULL OR "
        "w.n_rows <> 5 OR ABS(w.p_under_2_5 + w.p_over_2_5 - 1) > 1e-12",
    )
    _refuse(
        conn,
        "feature snapshots are of another domain or of a unit of an event",
        "SELECT count(*) FROM feature_snapshots WHERE domain <> 'matches' OR unit <> ''",
    )
    for trigger, table in _TRIGGERS:
        on = f" ON {table}" if dialect == "postgresql" else ""
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}{on}")
        if dialect == "postgresql":
            op.execute(f"DROP FUNCTION IF EXISTS {trigger}()")
    with op.batch_alter_table("feature_builds", schema=None) as batch_op:
        batch_op.drop_column("domain")
    _stash(conn, "feature_snapshots_0004", "SELECT * FROM feature_snapshots")
    op.drop_table("feature_snapshots")
    _create_feature_snapshots(generic=False)
    conn.execute(
        sa.text(
            "INSERT INTO feature_snapshots (match_id, as_of, feature_version, features, "
            "computed_at) SELECT event_id, as_of, feature_version, features, computed_at "
            "FROM feature_snapshots_0004"
        )
    )
    op.drop_table("feature_snapshots_0004")

    op.drop_table("predictions")
    _create_wide_predictions()
    columns = ", ".join(_WIDE)
    wide = ", ".join(f"w.{c}" for c in _WIDE)
    conn.execute(
        sa.text(
            f"INSERT INTO predictions (snapshot_id, match_id, {columns}, drivers, "
            "model_version_id, information) SELECT pe.snapshot_id, pe.event_id, "
            f"{wide}, pe.drivers, pe.model_version_id, pe.information FROM predicted_events pe "
            "JOIN predictions_0004 w ON w.snapshot_id = pe.snapshot_id AND w.event_id = pe.event_id"
        )
    )
    op.drop_table("predictions_0004")
    op.drop_index("ix_predicted_events_model_version_id", table_name="predicted_events")
    op.drop_index("ix_predicted_events_event_id", table_name="predicted_events")
    op.drop_table("predicted_events")
