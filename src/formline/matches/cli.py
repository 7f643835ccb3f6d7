"""The matches domain's own commands: ``ingest:football-data``, ``ingest:us-sports`` and
``predict:match``.

Registered on the ``formline`` app by the CLI plumbing (:attr:`MatchesDomain.cli_commands
<formline.matches.domain.MatchesDomain.cli_commands>`, see
:func:`formline.cli.app.mount_domain_commands`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from formline.cli.app import (
    RichProgress,
    console,
    load_settings,
    open_configured_store,
    open_existing_store,
    recorded,
)


def register(app: typer.Typer) -> None:
    """Register the matches domain's commands on ``app``."""
    app.command("ingest:football-data")(recorded("ingest:football-data")(ingest_football_data))
    app.command("ingest:us-sports")(recorded("ingest:us-sports")(ingest_us_sports))
    app.command("backfill")(recorded("backfill")(backfill))
    app.command("predict:match")(predict_match)


def ingest_football_data(
    paths: Annotated[
        list[Path], typer.Argument(help="football-data.co.uk CSV files or folders of them.")
    ],
) -> None:
    """Load football-data.co.uk CSV files; bad rows are reported and kept as rejects."""
    from formline.cli.data import ingest_limits, print_ingest_report, print_rejects
    from formline.matches.ingest import ingest_football_data as run
    from formline.matches.sources.text_table import ReadLimits

    settings = load_settings()
    store = open_configured_store(settings)
    limits = ReadLimits(**ingest_limits(settings))
    with RichProgress(console) as progress:
        result = run(store, paths, limits=limits, progress=progress)
    print_rejects(result.rejects)
    for note in result.notes:
        console.print(note, markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"{result.files} files, {result.rows} matches read, {len(result.rejects)} rejects kept"
    )
    print_ingest_report(result.report)


BACKFILL_SOURCES = ("football-data",)


def backfill(
    source: Annotated[
        str, typer.Option("--source", help="The source: football-data (football-data.co.uk).")
    ],
    competition: Annotated[
        str, typer.Option("--competition", help="The source's division code, such as E0.")
    ],
    first: Annotated[str, typer.Option("--from", help="The first season, such as 2018-19.")],
    last: Annotated[str, typer.Option("--to", help="The last season, such as 2022-23.")],
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Fetch only the seasons not done yet (no request for the others)."
        ),
    ] = False,
) -> None:
    """Fetch and load a competition's seasons over HTTP, one partition per season, each with
    its watermark (backfill_partitions); --resume fetches only what is missing."""
    from formline.cli.data import ingest_limits, print_rejects
    from formline.errors import ConfigError
    from formline.fetch import HttpSource, ResponseCache
    from formline.matches.backfill import backfill_football_data
    from formline.matches.source_settings import FootballDataSettings, football_data_policy
    from formline.matches.sources.football_data_http import check_csv, seasons_between
    from formline.matches.sources.text_table import ReadLimits

    if source not in BACKFILL_SOURCES:
        raise ConfigError(f"--source: unknown source '{source}'; known: football-data")
    seasons = seasons_between(first, last)
    settings = load_settings()
    source_settings = _source_settings(FootballDataSettings)
    policy = football_data_policy(settings, source_settings)
    cache = ResponseCache(settings.resolved_http_cache_dir / policy.name)
    store = open_configured_store(settings)
    limits = ReadLimits(**ingest_limits(settings))
    with HttpSource(policy, cache, check=check_csv) as http, RichProgress(console) as progress:
        result = backfill_football_data(
            store, http, competition, seasons, resume=resume, limits=limits, progress=progress
        )
    for outcome in result.outcomes:
        print_rejects(outcome.rejects)
    for outcome in result.outcomes:
        how = f" ({outcome.how})" if outcome.how else ""
        detail = outcome.error if outcome.error else f"{outcome.rows} matches"
        if outcome.rejects:
            detail += f", {len(outcome.rejects)} rejects kept"
        console.print(
            f"{competition} {outcome.season}: {outcome.status}{how}: {detail}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    counts = {s: sum(o.status == s for o in result.outcomes) for s in _STATUSES}
    console.print(
        f"{len(result.outcomes)} partitions: "
        + ", ".join(f"{n} {status}" for status, n in counts.items())
        + f"; {result.requests} requests",
        highlight=False,
    )
    if result.failed:
        first_failed = result.failed[0]
        kind = type(first_failed.failure) if first_failed.failure else ConfigError
        raise kind(
            f"backfill {source} {competition}: {len(result.failed)} of {len(result.outcomes)} "
            f"partitions failed (recorded in backfill_partitions; --resume retries them); "
            f"the first: {first_failed.season}: {first_failed.error}"
        )


_STATUSES = ("loaded", "skipped", "unchanged", "failed")


def _source_settings(kind: Any) -> Any:
    """A source's settings class read, its validation errors named like load_settings'."""
    from pydantic import ValidationError

    from formline.errors import ConfigError

    try:
        return kind()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None


def ingest_us_sports(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="US-sports CSV files or folders of them (spreadspoke, OddsPortal, SBR NBA, "
            "MLB and NHL, FiveThirtyEight's nfl_elo/nba_elo); each file's layout is recognised."
        ),
    ],
) -> None:
    """Load NFL, NBA, MLB and NHL games, lines and reference forecasts; bad rows are reported
    and kept as rejects."""
    from formline.cli.data import ingest_limits, print_ingest_report, print_rejects
    from formline.matches.sources.text_table import ReadLimits
    from formline.matches.us_ingest import ingest_us_sports as run

    settings = load_settings()
    store = open_configured_store(settings)
    limits = ReadLimits(**ingest_limits(settings))
    with RichProgress(console) as progress:
        result = run(store, paths, limits=limits, progress=progress)
    print_rejects(result.rejects)
    for read in result.reads:
        console.print(read.describe(), markup=False, highlight=False, soft_wrap=True)
    for note in result.notes:
        console.print(note, markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"{len(result.reads)} files, {result.games} games read, {len(result.rejects)} rejects kept"
    )
    print_ingest_report(result.report)


def describe_match(match: dict[str, Any]) -> str:
    """``home v away, competition season, kickoff 2025-11-08 15:00Z (status)`` for messages."""
    return (
        f"{match['home_team']} v {match['away_team']}, {match['competition']} {match['season']}, "
        f"kickoff {match['kickoff_at']:%Y-%m-%d %H:%M}Z ({match['status']})"
    )


def predict_match(
    match_id: Annotated[int, typer.Argument(help="Match id.")],
    markets: Annotated[
        bool,
        typer.Option(
            "--markets",
            help="Also price the markets of the model's score grid (Asian handicap, totals, "
            "both teams to score, double chance, draw no bet); models with a grid only.",
        ),
    ] = False,
) -> None:
    """Print which match it is and its latest published prediction with its drivers.

    An unknown match id and a match no snapshot covers are both exit code 3, with messages that
    tell them apart.
    """
    from formline.errors import NotFoundError
    from formline.matches.predictions import latest_prediction_for_match
    from formline.matches.reads import get_match
    from formline.store.registry import get_model_version

    store = open_existing_store(load_settings())
    with store.connect("reading the match") as conn:
        match = get_match(conn, match_id)
    if match is None:
        raise NotFoundError(f"match {match_id} does not exist")
    p = latest_prediction_for_match(store, match_id)
    if p is None:
        raise NotFoundError(
            f"match {match_id} ({describe_match(match)}) has no prediction: no published "
            "snapshot covers it"
        )
    model = get_model_version(store, int(p["model_version_id"]))
    console.print(f"match {match_id}: {describe_match(match)}", markup=False, highlight=False)
    source = "the published snapshot" if p["published"] else "an earlier snapshot, not the current"
    console.print(
        f"prediction of {model.label} from {source} ({p['snapshot_id']}), as of "
        f"{p['as_of']:%Y-%m-%d %H:%M}Z",
        markup=False,
        highlight=False,
    )
    table = Table(header_style="bold")
    for col in ("", "home", "draw", "away", "over 2.5"):
        table.add_column(col, justify="right")
    table.add_row(
        "probability", *(f"{p[k]:.3f}" for k in ("p_home", "p_draw", "p_away", "p_over_2_5"))
    )
    table.add_row(
        "fair odds",
        *(f"{p[k]:.2f}" for k in ("fair_home", "fair_draw", "fair_away", "fair_over_2_5")),
    )
    console.print(table)
    if p.get("drivers"):
        drivers = Table(title="drivers (contribution to each outcome's score)", header_style="bold")
        for col in ("feature", "value", "home", "draw", "away"):
            drivers.add_column(col, justify="right" if col != "feature" else "left")
        for d in p["drivers"]:
            value = "" if d.get("value") is None else f"{d['value']:.3f}"
            drivers.add_row(
                d["feature"], value, *(f"{d[o]:+.3f}" for o in ("home", "draw", "away"))
            )
        console.print(drivers)
    else:
        console.print("this model gives no per-feature drivers")
    if p.get("markets"):
        print_published_grid_markets(p["markets"])
    if markets:
        print_grid_markets(store, model, match_id, match["kickoff_at"], p["as_of"])


def _line(market: str, line: float) -> str:
    """A handicap with its sign (``-0.25``, ``+1``), a total without (``2.5``), else blank."""
    if math.isnan(line):
        return ""
    handicap = market in ("asian handicap", "asian_handicap")
    return f"{line:+g}" if handicap and line != 0 else f"{line:g}"


#: The published grid markets that have a line (the others are stored at line 0).
_WITH_LINE = ("asian_handicap", "total_goals")


def print_published_grid_markets(rows: list[dict[str, Any]]) -> None:
    """The grid markets published with the prediction: probability (of winning the stake when
    it is not returned) and fair odds per market, selection and line."""
    out = Table(
        title="published grid markets (score grid, before the 1X2 calibration)",
        header_style="bold",
    )
    for col in ("market", "selection", "line", "probability", "fair"):
        out.add_column(col, justify="left" if col in ("market", "selection") else "right")
    for r in rows:
        market, fair = str(r["market"]), r["fair_odds"]
        line = float(r["line"]) if market in _WITH_LINE else math.nan
        out.add_row(
            market.replace("_", " "),
            str(r["selection"]).replace("_", " "),
            _line(market, line),
            f"{float(r['probability']):.3f}",
            "" if fair is None or math.isnan(float(fair)) else f"{float(fair):.2f}",
        )
    console.print(out)


def print_grid_markets(store: Any, model: Any, match_id: int, kickoff_at: Any, as_of: Any) -> None:
    """The score-grid markets of ``match_id`` as ``model`` priced them at ``as_of``."""
    from formline.matches.grid_markets import match_grid_markets

    with console.status("pricing the score grid"):
        table = match_grid_markets(store, model, match_id, kickoff_at, as_of)
    if table is None:
        console.print(f"{model.label} has no score grid: no grid markets", markup=False)
        return
    out = Table(
        title="markets from the model's score grid (before the 1X2 calibration)",
        header_style="bold",
    )
    for col in ("market", "selection", "line", "win", "half win", "push", "half loss", "fair"):
        out.add_column(col, justify="left" if col in ("market", "selection") else "right")
    for r in table.to_dict("records"):
        line, fair = float(r["line"]), float(r["fair_odds"])
        out.add_row(
            str(r["market"]),
            str(r["selection"]),
            _line(str(r["market"]), line),
            *(f"{float(r[k]):.3f}" for k in ("win", "half_win", "push", "half_loss")),
            "" if math.isnan(fair) else f"{fair:.2f}",
        )
    console.print(out)
