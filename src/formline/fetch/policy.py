"""How one HTTP source may be asked: its base URL, rate, timeouts, retries and secrets."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["REDACTED", "SourcePolicy", "redact"]

#: What a secret is replaced by in every URL, log line and message.
REDACTED = "***"


@dataclass(frozen=True)
class SourcePolicy:
    """One HTTP source's terms, built from the settings by the caller (this layer reads none).

    Parameters
    ----------
    name
        The source's name, for messages and the cache folder (``"odds-api"``).
    base_url
        Where its paths are resolved (the ``<NAME>_BASE_URL`` setting), without a trailing ``/``.
    min_interval_seconds
        The least time between two requests to this source (its rate limit; 0: none).
    connect_timeout, read_timeout
        Seconds to connect, and to wait for each read of the response.
    max_retries
        Further attempts after a 429, a 5xx or a transport failure (refused, timed out, a body
        cut short); 0: one attempt.
    backoff_seconds, backoff_max_seconds
        The wait before retry ``n`` is ``backoff_seconds * 2 ** n``, at most
        ``backoff_max_seconds``; a ``Retry-After`` the server sends is waited instead, when it
        is longer.
    max_retry_after_seconds
        A ``Retry-After`` longer than this fails at once (the source asks for more patience
        than the run has).
    cache_seconds
        A cached response younger than this is used without asking the source; older, it is
        revalidated with a conditional GET (0: always revalidate).
    max_bytes
        The largest body accepted (None: no bound).
    params, headers
        Sent with every request: an API key goes here (from the settings, never from code);
        every value of both is a secret, redacted from URLs, logs and errors.
    """

    name: str
    base_url: str
    min_interval_seconds: float = 1.0
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 4
    backoff_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    max_retry_after_seconds: float = 300.0
    cache_seconds: float = 3600.0
    max_bytes: int | None = 64 * 1024 * 1024
    params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values never to show (longest first, so that none hides part of another)."""
        values = {v for v in (*self.params.values(), *self.headers.values()) if v}
        return tuple(sorted(values, key=len, reverse=True))

    def url(self, path: str) -> str:
        """``path`` resolved against :attr:`base_url`."""
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry ``attempt`` (0 for the first retry)."""
        return float(min(self.backoff_max_seconds, self.backoff_seconds * 2**attempt))


_USERINFO = re.compile(r"(://[^/@:]*):[^/@]*@")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with every secret, and the password of a URL's user info, replaced by ``***``."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return _USERINFO.sub(rf"\1:{REDACTED}@", text)
