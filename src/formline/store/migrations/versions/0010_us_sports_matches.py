"""US sports in the matches tables: a fixture key, the US markets, reference forecasts

Revision ID: 0010_us_sports_matches
Revises: 0009_transfers_tables
Create Date: 2026-12-07

* ``matches.fixture_key`` (text, default ``''``) joins the natural key
  ``uq_matches_natural_key``: a football league season has one fixture per ordered pair (the
  key stays ``''``), but NBA, NHL and MLB teams meet at the same home several times a season,
  so a US game's key is ``YYYY-MM-DD#n`` (see formline.matches.us_ingest).
* ``odds.price`` may be NULL (spreadspoke and SBR quote NFL and NBA spreads and totals without
  prices) and ``odds.market`` takes ``moneyline``, ``spread`` and ``total`` beside the football
  markets.
* ``reference_forecasts``: a published forecaster's pre-game probabilities of a stored match
  (FiveThirtyEight's Elo).

On SQLite the ``matches`` and ``odds`` changes rebuild the tables (batch migrations), which loses
the triggers on ``matches`` and may not leave a trigger naming a table that is gone: the matches
domain's guards (revision 0004, see formline.matches.tables) are dropped first and created again
as revision 0004 created them. On PostgreSQL the tables are altered in place.

The downgrade refuses while the store holds what revision 0009 cannot (US games, US odds,
odds without a price); the reference forecasts are dropped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from formline.errors import StoreError

revision = "0010_us_sports_matches"
down_revision = "0009_transfers_tables"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)
_KEY = ["competition_id", "season", "home_team_id", "away_team_id"]
_FOOTBALL_MARKETS = "market IN ('1x2', 'over_under', 'asian_handicap')"
_MARKETS = "market IN ('1x2', 'over_under', 'asian_handicap', 'moneyline', 'spread', 'total')"

# SQLite's triggers as revision 0004 created them (the matches domain's guards).
_REFUSED = "stored predictions are of this match; delete their snapshots before the match"
_MATCHES_SNAPSHOT = "SELECT 1 FROM predicted_events pe JOIN prediction_snapshots s ON s.id = "
_MISSING = "a prediction of a matches snapshot names a match that does not exist"
_OF_MATCHES = "SELECT 1 FROM prediction_snapshots WHERE id = NEW.snapshot_id AND domain = 'matches'"
_NO_MATCH = "NOT EXISTS (SELECT 1 FROM matches WHERE id = NEW.event_id)"
_SQLITE_TRIGGERS = {
    "predicted_events_match_exists": "CREATE TRIGGER predicted_events_match_exists BEFORE "
    f"INSERT ON predicted_events WHEN EXISTS ({_OF_MATCHES}) AND {_NO_MATCH} "
    f"BEGIN SELECT RAISE(ABORT, '{_MISSING}'); END",
    "matches_keep_predicted": "CREATE TRIGGER matches_keep_predicted BEFORE DELETE ON matches "
    f"WHEN EXISTS ({_MATCHES_SNAPSHOT}pe.snapshot_id WHERE pe.event_id = OLD.id AND "
    f"s.domain = 'matches') BEGIN SELECT RAISE(ABORT, 'refusing to delete a match: "
    f"{_REFUSED}'); END",
    "matches_delete_feature_snapshots": "CREATE TRIGGER matches_delete_feature_snapshots AFTER "
    "DELETE ON matches BEGIN DELETE FROM feature_snapshots WHERE domain = 'matches' AND "
    "event_id = OLD.id; END",
}


def _rebuild(fixture_key: bool) -> None:
    """Change ``matches`` and ``odds`` (the upgrade with ``fixture_key``, else the downgrade)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for trigger in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_constraint("uq_matches_natural_key", type_="unique")
        if fixture_key:
            batch_op.add_column(
                sa.Column("fixture_key", sa.String(length=32), server_default="", nullable=False)
            )
            batch_op.create_unique_constraint("uq_matches_natural_key", [*_KEY, "fixture_key"])
        else:
            batch_op.drop_column("fixture_key")
            batch_op.create_unique_constraint("uq_matches_natural_key", _KEY)
    with op.batch_alter_table("odds", schema=None) as batch_op:
        batch_op.alter_column("price", existing_type=sa.Float(), nullable=fixture_key)
        batch_op.drop_constraint(op.f("ck_odds_market"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_odds_market"), _MARKETS if fixture_key else _FOOTBALL_MARKETS
        )
    if sqlite:
        for statement in _SQLITE_TRIGGERS.values():
            op.execute(statement)


def upgrade() -> None:
    _rebuild(fixture_key=True)
    op.create_table(
        "reference_forecasts",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("match_id", _ID, nullable=False),
        sa.Column("forecaster", sa.String(length=64), nullable=False),
        sa.Column("p_home", sa.Float(), nullable=False),
        sa.Column("p_away", sa.Float(), nullable=False),
        sa.Column("p_draw", sa.Float(), nullable=True),
        sa.Column("rating_home_pre", sa.Float(), nullable=True),
        sa.Column("rating_away_pre", sa.Float(), nullable=True),
        sa.Column("rating_home_post", sa.Float(), nullable=True),
        sa.Column("rating_away_post", sa.Float(), nullable=True),
        sa.Column("observed_at", _TS, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint(
            "p_home >= 0 AND p_home <= 1 AND p_away >= 0 AND p_away <= 1 "
            "AND (p_draw IS NULL OR (p_draw >= 0 AND p_draw <= 1))",
            name=op.f("ck_reference_forecasts_probabilities"),
        ),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["matches.id"],
            name=op.f("fk_reference_forecasts_match_id_matches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_forecasts")),
        sa.UniqueConstraint("match_id", "forecaster", name="uq_reference_forecasts_natural_key"),
    )
    with op.batch_alter_table("reference_forecasts", schema=None) as batch_op:
        batch_op.create_index("ix_reference_forecasts_observed_at", ["observed_at"], unique=False)


def _refuse(what: str, count_sql: str) -> None:
    n = op.get_bind().execute(sa.text(count_sql)).scalar_one()
    if n:
        raise StoreError(
            f"downgrading to revision 0009: {n} {what}, which revision 0009 cannot store; "
            "delete them before downgrading"
        )


def downgrade() -> None:
    _refuse(
        "matches with a fixture key (US games)",
        "SELECT count(*) FROM matches WHERE fixture_key <> ''",
    )
    _refuse(
        "odds of a US market or without a price",
        f"SELECT count(*) FROM odds WHERE price IS NULL OR NOT ({_FOOTBALL_MARKETS})",
    )
    with op.batch_alter_table("reference_forecasts", schema=None) as batch_op:
        batch_op.drop_index("ix_reference_forecasts_observed_at")
    op.drop_table("reference_forecasts")
    _rebuild(fixture_key=False)
