"""The HTTP source layer: fetch a source's documents with rate limits, retries with backoff,
timeouts, conditional GET, an on-disk cache and a payload check (see :mod:`.client`).

It knows no domain: a domain's source module builds a :class:`SourcePolicy` from the settings
and passes its payload check.
"""

from formline.fetch.cache import CachedResponse, ResponseCache
from formline.fetch.client import (
    Fetched,
    HttpSource,
    MinimumInterval,
    PayloadCheck,
    parse_retry_after,
)
from formline.fetch.policy import REDACTED, SourcePolicy, redact

__all__ = [
    "REDACTED",
    "CachedResponse",
    "Fetched",
    "HttpSource",
    "MinimumInterval",
    "PayloadCheck",
    "ResponseCache",
    "SourcePolicy",
    "parse_retry_after",
    "redact",
]
