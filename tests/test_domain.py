"""The domain contract: the registry finds domains, and what a domain declares is true."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from formline.domain import (
    Domain,
    Market,
    check_model_options,
    domain_names,
    get_domain,
    market,
    model_type,
    register_domain,
    resolve_domain,
    unregister_domain,
)
from formline.errors import ConfigError
from formline.matches.domain import MatchesDomain
from support import unimplemented_methods


@unimplemented_methods
class _Races:
    """A second domain, declared only: enough for the registry."""

    name = "races_test"
    event_noun = "race"
    unit_noun = "runner"
    unit_key = "runner_id"
    event_key = "race_id"
    start_column = "off_at"
    markets = (Market("win", "the winner", selections=()),)
    model_types = MatchesDomain.model_types[:1]
    information_states = ("no_market",)
    reference_model = "logistic"
    market_reference = None
    validation_leads = ()
    sources = ()
    api_routers = ()
    api_cache = None
    scope_column = "course"
    target_columns = ("winner",)
    cli_commands = ()
    season_simulation = None

    def ingest_demo(self, store: object, **options: object) -> object:
        raise NotImplementedError

    def ingest_paths(self, store: object, paths: object, *, limits: object = None) -> object:
        raise NotImplementedError

    def compute_features(self, store: object, as_of: object, **options: object) -> object:
        raise NotImplementedError

    def export_frame(self, store: object, as_of: object, *, with_targets: bool = False) -> object:
        raise NotImplementedError

    def predict_rows(self, bundle: object, rows: object, declared: object) -> object:
        raise NotImplementedError

    def register_tables(self) -> None:
        return None

    def feature_set(self) -> object:
        raise NotImplementedError

    def load_frame(self, store: object, as_of: object, queries: object = None) -> object:
        raise NotImplementedError

    def make_model(self, model_type: str, *, use_market: bool = True, **params: object) -> object:
        raise NotImplementedError

    def as_model(self, estimator: object, *, use_market: bool = True) -> object:
        raise NotImplementedError

    def model_features(self, model: object) -> list[str]:
        raise NotImplementedError

    def information_needed(self, reads_prices: bool) -> str:
        return "no_market"

    def prediction_rows(self, predictions: object) -> object:
        raise NotImplementedError

    def read_snapshot(self, store: object, snapshot_id: int) -> object:
        raise NotImplementedError

    def targets(self, rows: object) -> object:
        raise NotImplementedError

    def walk_forward(self, *args: object, **kwargs: object) -> object:
        raise NotImplementedError

    def final_calibrators(self, *args: object) -> object:
        raise NotImplementedError

    def evaluate(self, rows: object, result: object) -> object:
        raise NotImplementedError

    def evaluate_headline(self, rows: object, result: object, **kwargs: object) -> object:
        raise NotImplementedError

    def evaluate_market(self, rows: object, result: object) -> object:
        raise NotImplementedError

    def headline_loss(self, rows: object, result: object) -> object:
        raise NotImplementedError

    def admits(self, information: str, frame: object) -> object:
        raise NotImplementedError

    def validation_frame(self, rows: object, result: object, reference: object) -> object:
        raise NotImplementedError

    def fit_calibrated(self, *args: object) -> object:
        raise NotImplementedError

    def predict_windows(self, *args: object, **kwargs: object) -> object:
        raise NotImplementedError

    def with_predictions(self, rows: object, predictions: object) -> object:
        raise NotImplementedError

    def backtest_output(self, frame: object, *, csv: bool = False) -> object:
        raise NotImplementedError

    def backtest_scores(self, frame: object) -> object:
        raise NotImplementedError

    def search_space(self, model_type: str, trial: object) -> object:
        raise NotImplementedError

    def fold_loss(self, model: object, rows: object, y: object) -> object:
        raise NotImplementedError

    def report(self, store: object, version: object, bundle: object) -> object:
        raise NotImplementedError


@pytest.fixture
def second_domain() -> Iterator[None]:
    register_domain("races_test", _Races)
    yield
    unregister_domain("races_test")


def test_matches_is_registered_through_its_entry_point() -> None:
    assert "matches" in domain_names()
    domain = get_domain("matches")
    assert isinstance(domain, Domain)
    assert domain.name == "matches"
    assert get_domain("matches") is domain  # built once
    assert resolve_domain(None) is domain  # the FORMLINE_DOMAIN default
    assert resolve_domain("matches") is domain


def test_an_unknown_domain_is_a_config_error_naming_those_that_exist() -> None:
    with pytest.raises(ConfigError, match="unknown 'horses'; choose from matches"):
        get_domain("horses")


def test_with_several_domains_none_means_the_setting(
    second_domain: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert domain_names() == ("matches", "races", "races_test")
    assert get_domain("races_test").unit_noun == "runner"
    assert market(get_domain("races_test"), "win").per_unit
    assert resolve_domain(None).name == "matches"  # FORMLINE_DOMAIN's default
    monkeypatch.setenv("FORMLINE_DOMAIN", "races_test")
    assert resolve_domain(None).name == "races_test"
    monkeypatch.setenv("FORMLINE_DOMAIN", "horses")
    with pytest.raises(ConfigError, match="unknown 'horses'"):
        resolve_domain(None)


def test_a_registered_object_that_is_not_a_domain_is_refused() -> None:
    register_domain("broken", lambda: object())  # type: ignore[arg-type, return-value]
    try:
        with pytest.raises(
            ConfigError,
            match="is registered as formline domain 'broken' but is not one "
            r"\(it lacks admits, api_cache, ",
        ):
            get_domain("broken")
    finally:
        unregister_domain("broken")


def test_model_options_are_checked_against_the_declarations() -> None:
    matches = get_domain("matches")
    assert check_model_options(matches, "lightgbm", trials=5).tunable
    with pytest.raises(ConfigError, match="only lightgbm has a search"):
        check_model_options(matches, "goals", trials=5)
    with pytest.raises(ConfigError, match="market needs odds"):
        check_model_options(matches, "market", use_market=False)
    with pytest.raises(ConfigError, match="unknown 'nope'"):
        model_type(matches, "nope")


@pytest.mark.parametrize("name", [t.name for t in MatchesDomain.model_types])
def test_declared_capabilities_are_what_the_models_do(name: str) -> None:
    """The declarations replace probing the models, so they must be true of them."""
    matches = get_domain("matches")
    declared = model_type(matches, name)
    model = matches.make_model(name, use_market=declared.uses_market is not False)
    assert callable(getattr(model, "explain", None)) == declared.explains
    assert callable(getattr(model, "predict_score_grid", None)) == declared.score_grid
    if declared.uses_market is not None:
        assert bool(model.uses_market) == declared.uses_market
    else:
        assert matches.make_model(name, use_market=False).uses_market is False
        assert matches.make_model(name, use_market=True).uses_market is True


def test_the_domain_object_is_cheap_to_import() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from formline.domain import get_domain; d = get_domain('matches'); "
        "d.register_tables(); "
        "print(sorted(m for m in ('pandas', 'numpy', 'sklearn', 'duckdb') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_races_is_registered_through_its_entry_point() -> None:
    domain = get_domain("races")
    assert isinstance(domain, Domain)
    assert (domain.event_key, domain.unit_key, domain.start_column) == (
        "race_id",
        "runner_id",
        "start_at",
    )
    assert domain.information_needed(False) == "card"
    assert all(m.per_unit for m in domain.markets)
