"""The matches routes' shared parameters, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from formline.api.deps import id_path

CompetitionCode = Annotated[
    str | None,
    Query(
        description="A competition code, such as E0 (see /competitions).",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
    ),
]

MatchId = Annotated[int, id_path("match")]
