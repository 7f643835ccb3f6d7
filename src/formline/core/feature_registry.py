"""Feature registries: the allow-list of features a domain may emit, and its schema hash.

Knows no sport. Each domain (matches, races, transfers) declares a :class:`FeatureSet`; the
builder must emit exactly those columns, and the hash identifies the set in stored snapshots and
model bundles, so a model can refuse features computed under a different definition.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FeatureSpec:
    """One feature: its column name, what it means, and a version bumped when its definition
    changes."""

    name: str
    description: str
    group: str = ""
    version: int = 1
    uses_market: bool = False


@dataclass(frozen=True)
class FeatureSet:
    """An ordered allow-list of features plus the parameters that shape them."""

    domain: str
    specs: tuple[FeatureSpec, ...]
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [s.name for s in self.specs]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate feature names: {', '.join(duplicates)}")

    def __iter__(self) -> Iterator[FeatureSpec]:
        return iter(self.specs)

    def __len__(self) -> int:
        return len(self.specs)

    @property
    def names(self) -> list[str]:
        """Feature column names in registry order."""
        return [s.name for s in self.specs]

    def without_market(self) -> list[str]:
        """Names of the features not derived from betting odds."""
        return [s.name for s in self.specs if not s.uses_market]

    @property
    def schema_hash(self) -> str:
        """A short stable hash of the names, versions and parameters (the feature version)."""
        payload = {
            "domain": self.domain,
            "features": [[s.name, s.version] for s in self.specs],
            "params": dict(sorted(self.params.items())),
        }
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        return digest[:16]

    def check_columns(self, columns: Iterable[str]) -> None:
        """Raise ``ValueError`` unless ``columns`` are exactly this set's features (any order)."""
        got = set(columns)
        missing = [n for n in self.names if n not in got]
        extra = sorted(got - set(self.names))
        if missing or extra:
            raise ValueError(
                f"feature columns do not match the {self.domain} registry: "
                f"missing {missing or 'none'}, not registered {extra or 'none'}"
            )
