"""The leagues the transfer sources cover, by Transfermarkt code, and the names each source
gives them.

``tier`` is the league's level in its country's pyramid (1 = the top division): every covered
league is a top division except the English Championship (2).
"""

from __future__ import annotations

#: Code -> (name, country, tier).
LEAGUES: dict[str, tuple[str, str, int]] = {
    "GB1": ("Premier League", "England", 1),
    "GB2": ("Championship", "England", 2),
    "ES1": ("LaLiga", "Spain", 1),
    "L1": ("Bundesliga", "Germany", 1),
    "IT1": ("Serie A", "Italy", 1),
    "FR1": ("Ligue 1", "France", 1),
    "PO1": ("Liga Portugal", "Portugal", 1),
    "NL1": ("Eredivisie", "Netherlands", 1),
    "RU1": ("Premier Liga", "Russia", 1),
    "BE1": ("Jupiler Pro League", "Belgium", 1),
    "SC1": ("Scottish Premiership", "Scotland", 1),
}

#: A source's league name, casefolded -> code.
LEAGUE_CODES: dict[str, str] = {
    "premier league": "GB1",
    "championship": "GB2",
    "primera division": "ES1",
    "laliga": "ES1",
    "1 bundesliga": "L1",
    "serie a": "IT1",
    "ligue 1": "FR1",
    "liga nos": "PO1",
    "primeira liga": "PO1",
    "eredivisie": "NL1",
    "premier liga": "RU1",
    "jupiler pro league": "BE1",
    "scottish premiership": "SC1",
}
