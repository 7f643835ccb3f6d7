"""What the Hong Kong sources share: the venues, the default post times and when each kind of
fact is known.

Conventions (documented here once, used by both Hong Kong layouts)
-----------------------------------------------------------------
* Venues: Sha Tin (``ST``) and Happy Valley (``HV``), Asia/Hong_Kong (UTC+8, no daylight
  saving since 1979).
* Start times: the files give the race's date and number but no post time, so ``start_at`` is a
  default post time: race 1 at 12:30 at Sha Tin (day meetings) and 19:15 at Happy Valley (night
  meetings), Hong Kong time, and every further race :data:`RACE_INTERVAL` (30 minutes) later,
  converted to UTC. Races of one day are then ordered as run, and a race's result is known
  before the next one starts.
* ``card_observed_at``: the race card (runners, draws, weights, ratings, gear, jockeys) is
  taken as known :data:`CARD_LEAD` (one day) before the start.
* ``result_observed_at``: results and in-race facts are known :data:`RESULT_DELAY` (10 minutes,
  more than the longest race takes) after the start; dividends too.
* Final odds are captured and observed at the off (``start_at``).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

HONG_KONG = ZoneInfo("Asia/Hong_Kong")
COUNTRY = "Hong Kong"

#: Venue code -> (name, first post time in minutes after local midnight).
VENUES: dict[str, tuple[str, int]] = {
    "ST": ("Sha Tin", 12 * 60 + 30),
    "HV": ("Happy Valley", 19 * 60 + 15),
}
#: The venues' names as the results files spell them -> code.
VENUE_CODES = {name.lower(): code for code, (name, _) in VENUES.items()}

RACE_INTERVAL = np.timedelta64(30, "m")
CARD_LEAD = np.timedelta64(1, "D")
RESULT_DELAY = np.timedelta64(10, "m")


def start_times(
    dates: npt.NDArray[np.datetime64],
    venues: npt.NDArray[np.object_],
    numbers: npt.NDArray[np.float64],
) -> npt.NDArray[np.datetime64]:
    """The default ``start_at`` (naive UTC) of races on local ``dates`` at ``venues`` (codes of
    :data:`VENUES`) with race ``numbers``; NaT where any is missing."""
    first = np.array([VENUES[v][1] if v in VENUES else 0 for v in venues], dtype=np.int64)
    known = ~np.isnat(dates) & np.isfinite(numbers)
    steps = np.where(known, numbers - 1, 0).astype(np.int64)
    local = (
        dates.astype("datetime64[m]")
        + first.astype("timedelta64[m]")
        + steps * RACE_INTERVAL.astype("timedelta64[m]")
    )
    stamps = pd.Series(local).dt.tz_localize(HONG_KONG).dt.tz_convert("UTC").dt.tz_localize(None)
    out = stamps.to_numpy(dtype="datetime64[us]")
    out[~known] = np.datetime64("NaT")
    return out


def venue_frame_columns(codes: npt.NDArray[np.object_]) -> dict[str, object]:
    """The venue columns of a races frame for venue ``codes``."""
    return {
        "venue": pd.Series(codes, dtype="string"),
        "venue_name": pd.Series([VENUES[c][0] for c in codes], dtype="string"),
        "country": COUNTRY,
        "timezone": "Asia/Hong_Kong",
    }


def days(text: npt.NDArray[np.object_]) -> npt.NDArray[np.datetime64]:
    """``YYYY-MM-DD`` cells as days (NaT where unparseable or not a real date)."""
    parsed = pd.to_datetime(pd.Series(text, dtype=object), format="%Y-%m-%d", errors="coerce")
    return parsed.to_numpy(dtype="datetime64[D]")
