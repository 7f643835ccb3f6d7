"""A store of revision 0003 (wide football predictions) moves to the long form and back without
losing a value: every published probability, fair odd, driver, model and information state,
and every feature snapshot, is the same before the upgrade, after it, and after the downgrade.
What revision 0003 cannot hold is refused by the downgrade, with nothing changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from formline.errors import StoreError
from formline.matches.predictions import read_snapshot_predictions
from formline.store.db import Store, open_store

T1, T2, T3 = (
    "2024-01-01 00:00:00.000000",
    "2024-03-01 00:00:00.000000",
    "2024-03-02 06:30:00.000000",
)
WIDE = (
    "p_home, p_draw, p_away, p_over_2_5, fair_home, fair_draw, fair_away, fair_over_2_5, "
    "fair_under_2_5"
)
#: (snapshot, match, model, information, p_home, p_draw, p_over_2_5, fair odds given, drivers)
PREDICTIONS = [
    (1, 1, 1, "no_market", 0.4123456789012345, 0.2718281828459045, 0.5772156649015329, True, 2),
    (1, 2, 1, "no_market", 0.3333333333333333, 0.3333333333333333, 0.1, False, 0),
    (1, 3, 1, "no_market", 0.05, 0.9, 1.0, True, 1),
    (2, 1, 2, "market", 0.6180339887498949, 0.1414213562373095, 0.0, True, 3),
    (2, 2, 1, "no_market", 0.25, 0.25, 0.5, False, 1),
    (3, 3, 2, "market", 0.7, 0.2, 0.6931471805599453, True, 0),
]


#: (model, models_key, as_of, n_predictions) of snapshots 1, 2 (both models) and 3.
SNAPSHOTS = [("1", "1", ":t1", 3), ("NULL", "1,2", ":t2", 2), ("2", "2", ":t3", 1)]


def _drivers(n: int, match: int) -> str:
    return json.dumps(
        [
            {"feature": f"f{k}", "value": None if k else 1.5 * match, "home": 0.125 * k}
            for k in range(n)
        ]
    )


def _release_0003_store(store: Store) -> None:
    """Three matches, two models (one per information state), three snapshots (one of both
    models), one published; feature snapshots and a build."""
    model_sql = (
        "INSERT INTO model_versions (name, model_type, version, horizon_days, domain, scope, "
        "information, training_as_of, window_start, window_end, n_train, n_validation, "
        "feature_version, feature_names, uses_market, hyperparameters, metrics, status, "
        "created_at, updated_at) VALUES (:name, 'logistic', 1, 30, 'matches', '*', :information, "
        ":t1, :t1, :t1, 10, 5, 'fv', '[]', :market, '{}', '{}', 'completed', :t1, :t1)"
    )
    statements: list[tuple[str, dict[str, Any]]] = [
        (
            "INSERT INTO competitions (sport, code, name, created_at) VALUES ('football', 'E0', "
            "'Premier League', :t1)",
            {},
        ),
        (
            "INSERT INTO teams (sport, name, created_at) VALUES ('football', 'Home', :t1), "
            "('football', 'Away', :t1), ('football', 'Third', :t1)",
            {},
        ),
        *[
            (
                "INSERT INTO matches (sport, competition_id, season, kickoff_at, home_team_id, "
                "away_team_id, status, source, created_at, updated_at) VALUES ('football', 1, "
                f"'2023-24', '2024-04-0{i} 15:00:00.000000', {h}, {a}, 'scheduled', 'test', :t1, "
                ":t1)",
                {},
            )
            for i, (h, a) in enumerate([(1, 2), (2, 3), (3, 1)], start=1)
        ],
        (model_sql, {"name": "a", "information": "no_market", "market": False}),
        (model_sql, {"name": "b", "information": "market", "market": True}),
        *[
            (
                "INSERT INTO prediction_snapshots (domain, model_version_id, models_key, as_of, "
                "horizon_days, feature_version, n_predictions, created_at) VALUES ('matches', "
                f"{model}, '{key}', {as_of}, 30, 'fv', {n}, :t2)",
                {},
            )
            for model, key, as_of, n in SNAPSHOTS
        ],
        *[
            (
                f"INSERT INTO predictions (snapshot_id, match_id, model_version_id, information, "
                f"{WIDE}, drivers) VALUES (:s, :m, :model, :information, :home, :draw, :away, "
                ":over, :fh, :fd, :fa, :fo, :fu, :drivers)",
                {
                    "s": s,
                    "m": m,
                    "model": model,
                    "information": information,
                    "home": home,
                    "draw": draw,
                    "away": 1 - home - draw,
                    "over": over,
                    "fh": 1 / home if fair else None,
                    "fd": 1 / draw if fair else None,
                    "fa": 1 / (1 - home - draw) if fair else None,
                    "fo": 1 / over if fair and over else None,
                    "fu": 1 / (1 - over) if fair and over < 1 else None,
                    "drivers": _drivers(n, m),
                },
            )
            for s, m, model, information, home, draw, over, fair, n in PREDICTIONS
        ],
        (
            "INSERT INTO publications (name, snapshot_id, published_at) VALUES ('default', 2, :t2)",
            {},
        ),
        *[
            (
                "INSERT INTO feature_snapshots (match_id, as_of, feature_version, features, "
                f"computed_at) VALUES ({m}, {as_of}, 'fv', :features, :t2)",
                {"features": json.dumps({"elo_diff": 12.5 * m, "form": None, "rest_days": m})},
            )
            for m, as_of in ((1, ":t1"), (1, ":t2"), (2, ":t1"), (3, ":t3"))
        ],
        (
            "INSERT INTO feature_builds (as_of, feature_version, feature_names, n_matches, "
            "n_written, seconds, created_at) VALUES (:t2, 'fv', '[\"elo_diff\"]', 3, 4, 0.5, :t2)",
            {},
        ),
    ]
    with store.begin() as conn:
        for statement, params in statements:
            conn.execute(text(statement), {"t1": T1, "t2": T2, "t3": T3, **params})


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _wide(store: Store) -> list[tuple[Any, ...]]:
    """Every prediction of the revision-0003 table, as stored."""
    with store.connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT snapshot_id, match_id, model_version_id, information, {WIDE}, drivers "
                "FROM predictions ORDER BY snapshot_id, match_id"
            )
        ).all()
    return [(*r[:-1], _json(r[-1])) for r in rows]


def _read_back(store: Store) -> list[tuple[Any, ...]]:
    """Every prediction as the matches domain reads the long form back, in the same shape."""
    columns = ["match_id", "model_version_id", "information", *WIDE.split(", "), "drivers"]
    out = []
    for snapshot in (1, 2, 3):
        frame = read_snapshot_predictions(store, snapshot)
        for row in frame[columns].itertuples(index=False):
            values = [None if isinstance(v, float) and v != v else v for v in row]
            out.append((snapshot, *values))
    return out


def _features(store: Store, key: str) -> list[tuple[Any, ...]]:
    with store.connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT {key}, as_of, feature_version, features, computed_at FROM "
                f"feature_snapshots ORDER BY {key}, as_of"
            )
        ).all()
    return [(*r[:3], _json(r[3]), r[4]) for r in rows]


def _snapshots(store: Store) -> list[tuple[Any, ...]]:
    with store.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT s.id, s.model_version_id, s.models_key, s.as_of, s.n_predictions, "
                    "p.name FROM prediction_snapshots s LEFT JOIN publications p ON "
                    "p.snapshot_id = s.id ORDER BY s.id"
                )
            )
        ]


@pytest.fixture
def old_store(database_url: str) -> Iterator[Store]:
    """A store migrated only as far as revision 0003_reliability, holding the old layout."""
    opened = open_store(database_url, migrate=False)
    opened.run_migration("upgrade", "0003_reliability")
    _release_0003_store(opened)
    try:
        yield opened
    finally:
        opened.dispose()


def test_predictions_and_features_survive_the_upgrade_and_the_downgrade(old_store: Store) -> None:
    store = old_store
    before, features, snapshots = _wide(store), _features(store, "match_id"), _snapshots(store)
    assert len(before) == len(PREDICTIONS) and len(features) == 4
    assert any(v is None for row in before for v in row[4:13])  # NULL fair odds are covered
    store.run_migration("upgrade", "head")
    assert store.current_revision() == store.head_revision()
    assert _read_back(store) == before
    with store.connect() as conn:
        n_rows = conn.execute(text("SELECT count(*) FROM predictions")).scalar_one()
        under = conn.execute(
            text(
                "SELECT u.probability, o.probability FROM predictions u JOIN predictions o ON "
                "o.snapshot_id = u.snapshot_id AND o.event_id = u.event_id AND "
                "o.selection = 'over' WHERE u.selection = 'under'"
            )
        ).all()
        builds = conn.execute(text("SELECT domain FROM feature_builds")).scalars().all()
        domains = conn.execute(text("SELECT DISTINCT domain FROM feature_snapshots")).scalars()
        assert set(domains) == {"matches"}
    assert n_rows == 5 * len(PREDICTIONS)
    assert all(p_under == 1 - p_over for p_under, p_over in under)
    assert builds == ["matches"]
    assert _features(store, "event_id") == features
    assert _snapshots(store) == snapshots

    store.run_migration("downgrade", "0003_reliability")
    assert store.current_revision() == "0003_reliability"
    assert _wide(store) == before
    assert _features(store, "match_id") == features
    assert _snapshots(store) == snapshots


@pytest.mark.parametrize(
    "statement",
    [
        # A runner of a race: a unit of an event, which the wide table cannot hold.
        "INSERT INTO predicted_events (snapshot_id, event_id, unit, model_version_id, "
        "information, drivers) VALUES (1, 1, 'runner-4', 1, 'no_market', '[]')",
        # A market the wide table has no column for.
        "INSERT INTO predictions (snapshot_id, event_id, unit, market, selection, line, "
        "probability) VALUES (1, 1, '', 'asian_handicap', 'home', -0.5, 0.5)",
        # A feature snapshot of another domain.
        "INSERT INTO feature_snapshots (domain, event_id, unit, as_of, feature_version, "
        "features, computed_at) VALUES ('races', 1, '', :t, 'fv', '{}', :t)",
    ],
    ids=["unit", "market", "domain"],
)
def test_the_downgrade_refuses_what_revision_0003_cannot_hold(
    old_store: Store, statement: str
) -> None:
    store = old_store
    store.run_migration("upgrade", "head")
    with store.begin() as conn:
        conn.execute(text(statement), {"t": T1})
    after = _read_back(store)
    with pytest.raises(StoreError, match="revision 0003 cannot store"):
        store.run_migration("downgrade", "0003_reliability")
    assert store.current_revision() == store.head_revision()
    assert _read_back(store) == after
