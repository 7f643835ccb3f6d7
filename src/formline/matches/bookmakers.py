"""Which stored bookmaker names are books someone can bet at, and which summarise many books.

Sources store summaries across bookmakers beside the books themselves: football-data.co.uk's
best price (``Max``, ``BbMx``) as ``market_max`` and its average (``Avg``, ``BbAv``) as
``market_avg``. Neither is a price anyone can take: the best price of each outcome comes from
different books and is usually above any one book's line, so pricing a bet against it inflates
the edge. Imports nothing, so the read API may use it.
"""

from __future__ import annotations

#: Bookmaker names that are summaries across books, not books.
AGGREGATE_BOOKMAKERS = ("market_max", "market_avg")
