"""Prediction commands: ``predict:run`` (publish, then warm the API's Redis) and
``predict:match``."""

from __future__ import annotations

import math
from collections import Counter
from typing import Annotated, Any

import typer
from rich.table import Table

from formline.cli.app import (
    AsOf,
    DomainName,
    Horizon,
    app,
    as_of_or_now,
    command_domain,
    console,
    err_console,
    load_settings,
    open_existing_store,
    recorded,
)
from formline.settings import Settings


@app.command("predict:run")
@recorded("predict:run")
def predict_run(
    as_of: AsOf = None,
    horizon: Horizon = None,
    domain: DomainName = None,
) -> None:
    """Predict every match in (as_of, as_of + horizon] with the champions deployed as of then;
    publish."""
    from formline.pipeline.predict import run_predictions

    settings = load_settings()
    instant = as_of_or_now(as_of)
    days = settings.default_horizon_days if horizon is None else horizon
    resolved = command_domain(settings, domain)
    with console.status("predicting"):
        result = run_predictions(open_existing_store(settings), instant, days, domain=resolved)
    for information, n in sorted(result.unpredicted.items()):
        err_console.print(
            f"{n} matches not predicted: no champion for what is known about them "
            f"({information}); train one, e.g. `formline model:train"
            f"{' --no-market' if information == 'no_market' else ''}`",
            markup=False,
            highlight=False,
        )
    if result.snapshot_id is None:
        console.print(f"no matches predicted in ({instant:%Y-%m-%d %H:%M}, +{days} days]")
        return
    if result.published:
        state = "published" if result.created else "already published (unchanged)"
    else:
        state = "stored" if result.created else "already stored (unchanged)"
        state += ", not published: the published snapshot is as of a later instant"
    labels = {m.id: m.label for m in result.models}
    pairs = zip(
        result.predictions["model_version_id"], result.predictions["information"], strict=True
    )
    counts = Counter((int(m), str(i)) for m, i in pairs)
    used = ", ".join(
        f"{labels[model_id]} ({information}): {n}"
        for (model_id, information), n in sorted(counts.items())
    )
    console.print(
        f"snapshot {result.snapshot_id} {state}: {len(result.predictions)} matches as of "
        f"{instant.isoformat()}Z; {used}"
    )
    if result.published:
        warm_api_cache(settings)


def cache_target(settings: Settings) -> Any:
    from formline.pipeline.warm import CacheTarget

    if not settings.redis_url or not settings.api_cache_enabled:
        return None
    return CacheTarget(
        redis_url=settings.redis_url,
        key_prefix=settings.api_cache_key_prefix,
        ttl_predictions=settings.api_cache_ttl_predictions,
    )


def warm_api_cache(settings: Settings) -> None:
    """Warm the API's Redis after a publish; a Redis that does not answer is only a warning."""
    from formline.errors import CacheError
    from formline.pipeline.warm import warm_api_cache

    target = cache_target(settings)
    if target is None:
        return
    try:
        warmed = warm_api_cache(open_existing_store(settings), target)
    except CacheError as exc:
        err_console.print(f"warning: API cache not warmed: {exc}", markup=False, highlight=False)
        return
    console.print(f"API cache warmed: {warmed.written} responses ({warmed.present} already there)")


def describe_match(match: dict[str, Any]) -> str:
    """``home v away, competition season, kickoff 2025-11-08 15:00Z (status)`` for messages."""
    return (
        f"{match['home_team']} v {match['away_team']}, {match['competition']} {match['season']}, "
        f"kickoff {match['kickoff_at']:%Y-%m-%d %H:%M}Z ({match['status']})"
    )


@app.command("predict:match")
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
    if markets:
        print_grid_markets(store, model, match_id, match["kickoff_at"], p["as_of"])


def _line(market: str, line: float) -> str:
    """A handicap with its sign (``-0.25``, ``+1``), a total without (``2.5``), else blank."""
    if math.isnan(line):
        return ""
    return f"{line:+g}" if market == "asian handicap" and line != 0 else f"{line:g}"


def print_grid_markets(store: Any, model: Any, match_id: int, kickoff_at: Any, as_of: Any) -> None:
    """The score-grid markets of ``match_id`` as ``model`` priced them at ``as_of``."""
    from formline.pipeline.score_markets import match_grid_markets

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
