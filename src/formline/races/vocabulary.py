"""The racing vocabulary that the schema, the sources and the read API share: surfaces, runner
statuses, odds markets and kinds, and how many call points a runner keeps.

Plain constants, no pandas: :mod:`formline.races.tables` (and through it the read API) imports
them without the numerical stack; :mod:`formline.races.frames` re-exports them.
"""

from __future__ import annotations

#: How many call points (running positions, margins at the call, section times) a runner keeps.
N_CALLS = 6
#: How many sections of the leader's time a race keeps.
N_RACE_SECTIONS = 7

SURFACES = ("turf", "all_weather")
#: A runner's result status; only ``finished`` runners have a finishing position.
RUNNER_STATUSES = (
    "finished",
    "withdrawn",
    "pulled_up",
    "unseated",
    "fell",
    "did_not_finish",
    "took_no_part",
)
#: The statuses of a runner that did not run: not a start in any count of runs.
NOT_RUN = ("withdrawn", "took_no_part")
ODDS_MARKETS = ("win", "place")
ODDS_KINDS = ("opening", "final")
