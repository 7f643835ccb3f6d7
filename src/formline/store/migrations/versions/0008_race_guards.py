"""guards on races: a predicted race (or runner) is never deleted, a prediction names a race

Revision ID: 0008_race_guards
Revises: 0007_no_domain_defaults

The shared prediction and feature tables name a race by ``event_id`` in the domain ``races``
without a foreign key (as for matches, revision 0004). The races domain guards its own tables
with triggers, on SQLite and PostgreSQL alike:

* ``races_keep_predicted`` (BEFORE DELETE on ``races``) refuses deleting a race that a row of
  ``predicted_events`` of a ``races`` snapshot names;
* ``runners_keep_predicted`` (BEFORE DELETE on ``runners``) refuses deleting a runner that such
  a row names as its unit;
* ``races_delete_feature_snapshots`` (AFTER DELETE on ``races``) deletes the race's feature
  snapshots of domain ``races``;
* ``predicted_events_race_exists`` (BEFORE INSERT on ``predicted_events``) refuses a prediction
  of a ``races`` snapshot whose ``event_id`` is no race.
"""

from __future__ import annotations

from alembic import op

revision = "0008_race_guards"
down_revision = "0007_no_domain_defaults"
branch_labels = None
depends_on = None

_REFUSED = "stored predictions are of this race; delete their snapshots before the race"
_REFUSED_RUNNER = "stored predictions are of this runner; delete their snapshots first"
_MISSING = "a prediction of a races snapshot names a race that does not exist"
_OF_RACES = "SELECT 1 FROM prediction_snapshots WHERE id = NEW.snapshot_id AND domain = 'races'"
_NO_RACE = "NOT EXISTS (SELECT 1 FROM races WHERE id = NEW.event_id)"
_PREDICTED = (
    "SELECT 1 FROM predicted_events pe JOIN prediction_snapshots s ON s.id = pe.snapshot_id "
    "WHERE s.domain = 'races' AND "
)
_RACE_PREDICTED = _PREDICTED + "pe.event_id = OLD.id"
_RUNNER_PREDICTED = _PREDICTED + "pe.event_id = OLD.race_id AND pe.unit = CAST(OLD.id AS TEXT)"

#: (trigger, table) of every guard, dropped in this order.
_TRIGGERS = (
    ("races_keep_predicted", "races"),
    ("runners_keep_predicted", "runners"),
    ("races_delete_feature_snapshots", "races"),
    ("predicted_events_race_exists", "predicted_events"),
)
_SQLITE_TRIGGERS = [
    "CREATE TRIGGER predicted_events_race_exists BEFORE INSERT ON predicted_events "
    f"WHEN EXISTS ({_OF_RACES}) AND {_NO_RACE} "
    f"BEGIN SELECT RAISE(ABORT, '{_MISSING}'); END",
    f"CREATE TRIGGER races_keep_predicted BEFORE DELETE ON races WHEN EXISTS ({_RACE_PREDICTED}) "
    f"BEGIN SELECT RAISE(ABORT, 'refusing to delete a race: {_REFUSED}'); END",
    "CREATE TRIGGER runners_keep_predicted BEFORE DELETE ON runners "
    f"WHEN EXISTS ({_RUNNER_PREDICTED}) "
    f"BEGIN SELECT RAISE(ABORT, 'refusing to delete a runner: {_REFUSED_RUNNER}'); END",
    "CREATE TRIGGER races_delete_feature_snapshots AFTER DELETE ON races BEGIN "
    "DELETE FROM feature_snapshots WHERE domain = 'races' AND event_id = OLD.id; END",
]


def _plpgsql(name: str, body: str, returns: str = "OLD") -> str:
    return f"""
    CREATE OR REPLACE FUNCTION {name}() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        {body}
        RETURN {returns};
    END;
    $$
    """


_POSTGRES_TRIGGERS = [
    _plpgsql(
        "predicted_events_race_exists",
        f"IF EXISTS ({_OF_RACES}) AND {_NO_RACE} THEN "
        f"RAISE EXCEPTION '{_MISSING} (race %)', NEW.event_id "
        "USING ERRCODE = 'foreign_key_violation'; END IF;",
        returns="NEW",
    ),
    "CREATE TRIGGER predicted_events_race_exists BEFORE INSERT ON predicted_events "
    "FOR EACH ROW EXECUTE FUNCTION predicted_events_race_exists()",
    _plpgsql(
        "races_keep_predicted",
        f"IF EXISTS ({_RACE_PREDICTED}) THEN "
        f"RAISE EXCEPTION 'refusing to delete race %: {_REFUSED}', OLD.id "
        "USING ERRCODE = 'restrict_violation'; END IF;",
    ),
    "CREATE TRIGGER races_keep_predicted BEFORE DELETE ON races "
    "FOR EACH ROW EXECUTE FUNCTION races_keep_predicted()",
    _plpgsql(
        "runners_keep_predicted",
        f"IF EXISTS ({_RUNNER_PREDICTED}) THEN "
        f"RAISE EXCEPTION 'refusing to delete runner %: {_REFUSED_RUNNER}', OLD.id "
        "USING ERRCODE = 'restrict_violation'; END IF;",
    ),
    "CREATE TRIGGER runners_keep_predicted BEFORE DELETE ON runners "
    "FOR EACH ROW EXECUTE FUNCTION runners_keep_predicted()",
    _plpgsql(
        "races_delete_feature_snapshots",
        "DELETE FROM feature_snapshots WHERE domain = 'races' AND event_id = OLD.id;",
    ),
    "CREATE TRIGGER races_delete_feature_snapshots AFTER DELETE ON races "
    "FOR EACH ROW EXECUTE FUNCTION races_delete_feature_snapshots()",
]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRES_TRIGGERS if postgres else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for trigger, table in _TRIGGERS:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {trigger}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
