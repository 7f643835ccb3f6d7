"""A domain's models say themselves whether they read prices, and it is what their type
declares: the library's ``walk_forward`` trusts a model object's own ``uses_market``."""

from __future__ import annotations

import pytest
from sklearn.linear_model import LogisticRegression

from formline.domain import ModelType, model_type, uses_market
from formline.matches.domain import MatchesDomain
from formline.races.domain import RacesDomain

DOMAINS = [MatchesDomain(), RacesDomain()]
CASES = [
    (domain, declared, use_market)
    for domain in DOMAINS
    for declared in domain.model_types
    for use_market in (True, False)
    if not (declared.uses_market and not use_market)
]


@pytest.mark.parametrize(
    ("domain", "declared", "use_market"),
    CASES,
    ids=[f"{d.name}-{t.name}-{'market' if m else 'no-market'}" for d, t, m in CASES],
)
def test_a_built_model_reads_prices_exactly_as_its_type_declares(
    domain: MatchesDomain | RacesDomain, declared: ModelType, use_market: bool
) -> None:
    model = domain.make_model(declared.name, use_market=use_market)
    assert bool(model.uses_market) == uses_market(model_type(domain, declared.name), use_market)
    assert domain.as_model(model, use_market=not use_market) is model


@pytest.mark.parametrize("domain", DOMAINS, ids=lambda d: d.name)
@pytest.mark.parametrize("use_market", [True, False])
def test_a_plain_classifier_is_wrapped_and_reads_prices_only_when_asked(
    domain: MatchesDomain | RacesDomain, use_market: bool
) -> None:
    wrapped = domain.as_model(LogisticRegression(), use_market=use_market)
    assert wrapped.uses_market is use_market
    assert isinstance(wrapped.estimator, LogisticRegression)
