"""The races routes' shared parameters, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from formline.api.deps import id_path

VenueCode = Annotated[
    str | None,
    Query(
        description="A venue code, such as ST (Sha Tin) or HV (Happy Valley).",
        min_length=1,
        max_length=32,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
    ),
]

RaceId = Annotated[int, id_path("race")]
HorseId = Annotated[int, id_path("horse")]
JockeyId = Annotated[int, id_path("jockey")]
TrainerId = Annotated[int, id_path("trainer")]
