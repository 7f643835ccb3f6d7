"""Settings: database URLs that are malformed are bad input, named without their password."""

from __future__ import annotations

import pytest

from formline.errors import ConfigError
from formline.settings import normalise_database_url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://ann:p@ss@127.0.0.1:5432/formline", "more than one '@'"),
        ("postgres://ann:a@b@c@db.internal/formline", "more than one '@'"),
        ("postgresql://ann@127.0.0.1:notaport/formline", "malformed"),
        ("postgresql://[::1/formline", "malformed"),
    ],
)
def test_a_malformed_url_is_a_config_error_that_hides_the_password(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        normalise_database_url(url)
    text = str(caught.value)
    assert "ss@" not in text and "p@" not in text and "ann" not in text
    assert "DATABASE_URL" in text and caught.value.exit_code == 2


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ann:p%40ss@127.0.0.1:5432/formline",
        "postgresql:///formline",  # the local socket
        "postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dt_1",
        "sqlite:////var/lib/a@b/formline.db",
    ],
)
def test_well_formed_urls_pass(url: str) -> None:
    assert normalise_database_url(url).split("://", 1)[1] == url.split("://", 1)[1]
