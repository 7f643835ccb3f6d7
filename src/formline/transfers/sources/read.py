"""What reading transfer files produced: sightings, rejects and the data rows per file."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from formline.transfers.frames import REJECT_COLUMNS, SIGHTING_COLUMNS, conform, empty_frame


@dataclass
class SourceRead:
    """The sightings and rejects of some files, and how many data rows each file had (every
    row is a sighting or a row-level reject)."""

    sightings: pd.DataFrame = field(default_factory=lambda: empty_frame(SIGHTING_COLUMNS))
    rejects: pd.DataFrame = field(default_factory=lambda: empty_frame(REJECT_COLUMNS))
    rows: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def concat(reads: list[SourceRead]) -> SourceRead:
        """Several reads as one."""
        if not reads:
            return SourceRead()
        return SourceRead(
            conform(pd.concat([r.sightings for r in reads], ignore_index=True), SIGHTING_COLUMNS),
            conform(pd.concat([r.rejects for r in reads], ignore_index=True), REJECT_COLUMNS),
            {k: v for r in reads for k, v in r.rows.items()},
        )
