"""Season simulation step: a competition's season in progress at ``as_of``, every game still to
play drawn from the forecasts of the champions deployed as of then, the final table repeated
``n_sims`` times (:func:`formline.core.simulation.simulate_season`); stored as an immutable
snapshot and published.

The domain says what a season is and how its models forecast a game
(:class:`formline.domain.SeasonSimulator`); this step picks each game's champion as predictions
do (:func:`formline.pipeline.predict.assign_champions`: the richest information state known
about the game, its competition's champion before the domain-wide one), and refuses to invent a
forecast for a game no deployed champion can predict.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from formline.core.simulation import PointsRule, simulate_season
from formline.domain import (
    Domain,
    GameForecasts,
    SeasonInProgress,
    SeasonRules,
    SeasonSimulator,
    model_type,
    resolve_domain,
    season_simulator,
)
from formline.errors import ConfigError, ModelNotFoundError
from formline.pipeline.predict import assign_champions, current_champions
from formline.store import registry
from formline.store.db import Store
from formline.store.simulations import SimulationRecord, TeamOdds, publish_simulation

__all__ = [
    "ModelShare",
    "SimulationResult",
    "seasons_in_progress",
    "simulate_in_progress",
    "simulate_seasons",
]

#: What the games were drawn from, as stored.
SCORE_GRIDS, OUTCOMES = "score_grids", "outcomes"


@dataclass(frozen=True)
class ModelShare:
    """A champion that drew games: which, for what information state, how many games, and
    whether its type has a score grid."""

    model: registry.ModelVersion
    information: str
    games: int
    score_grid: bool


@dataclass
class SimulationResult:
    """One simulated season.

    ``table`` has one row per team, best expected points first: ``team``, the rules'
    ``points_label`` (``expected_points``), ``p_title``, ``p_top4`` (the rules' top),
    ``p_relegation`` (only when relegation is counted), then ``p_pos_1`` ... ``p_pos_N``.
    ``draws`` is ``score_grids`` when every game was drawn from a score grid, else
    ``outcomes`` (``note`` says which champion had none).
    """

    domain: str
    competition: str
    season: str
    as_of: datetime
    n_sims: int
    seed: int
    draws: str
    models: list[ModelShare]
    n_played: int
    n_remaining: int
    rules: SeasonRules
    table: pd.DataFrame
    note: str = ""
    simulation_id: int | None = None
    created: bool = False
    published: bool = False


def _simulator(domain: Domain) -> SeasonSimulator:
    simulator = season_simulator(domain)
    if simulator is None:
        raise ConfigError(f"domain {domain.name} keeps no league tables: it has no simulate:season")
    return simulator


def seasons_in_progress(
    store: Store, as_of: datetime, domain: Domain | str | None = None
) -> list[str]:
    """The competitions of ``domain`` with a season in progress at ``as_of`` (none for a domain
    without league tables)."""
    resolved = resolve_domain(domain)
    simulator = season_simulator(resolved)
    if simulator is None:
        return []
    return simulator.seasons_in_progress(resolved.load_frame(store, as_of).frame, as_of)


def _forecasts(
    season: SeasonInProgress,
    champions: dict[Any, Any],
    domain: Domain,
    simulator: SeasonSimulator,
) -> tuple[list[ModelShare], list[tuple[np.ndarray, GameForecasts]]]:
    """Each remaining game's champion and its forecasts; ModelNotFoundError when a game has no
    champion deployed for what is known about it."""
    rows = season.remaining
    chosen, unassigned = assign_champions(rows, list(champions), domain)
    if unassigned:
        missing = ", ".join(f"{state}: {n}" for state, n in sorted(unassigned.items()))
        hint = ""
        if domain.information_needed(False) in unassigned:
            hint = " --no-market"
        raise ModelNotFoundError(
            f"{sum(unassigned.values())} of the {len(rows)} games left in {season.competition} "
            f"{season.season} have no champion deployed as of {season.as_of:%Y-%m-%d %H:%M} for "
            f"what is known about them ({missing}); they are not made up: train one, e.g. "
            f"`formline model:train --domain {domain.name} --as-of {season.as_of:%Y-%m-%d}"
            f"{hint}`"
        )
    shares, pieces = [], []
    for slot, positions in chosen.items():
        version, bundle = champions[slot]
        declared = model_type(domain, version.model_type)
        games = rows.iloc[positions].reset_index(drop=True)
        pieces.append((positions, simulator.forecasts(bundle, games, declared)))
        shares.append(ModelShare(version, slot.information, len(positions), declared.score_grid))
    return shares, pieces


def _draw_inputs(
    n_games: int, shares: list[ModelShare], pieces: list[tuple[np.ndarray, GameForecasts]]
) -> tuple[dict[str, np.ndarray], str, str]:
    """The simulation's per-game input (``score_grids`` or ``probabilities``), what it is, and
    a note when a champion without a score grid made every game an outcome draw."""
    without = [s for s in shares if not s.score_grid]
    if not without:
        size = max(f.score_grids.shape[1] for _, f in pieces)
        grids = np.zeros((n_games, size, size))
        for positions, forecast in pieces:
            g = forecast.score_grids.shape[1]
            grids[positions, :g, :g] = forecast.score_grids
        return {"score_grids": grids}, SCORE_GRIDS, ""
    outcomes = np.zeros((n_games, 3))
    for positions, forecast in pieces:
        outcomes[positions] = forecast.outcomes
    names = ", ".join(sorted({s.model.label for s in without}))
    note = (
        f"games drawn from outcome probabilities: {names} has no score grid, so goal "
        "difference and goals scored do not change (ties on points use the table so far)"
    )
    return {"probabilities": outcomes}, OUTCOMES, note


def _simulate_one(
    season: SeasonInProgress,
    champions: dict[Any, Any],
    domain: Domain,
    simulator: SeasonSimulator,
    n_sims: int,
    seed: int,
) -> SimulationResult:
    shares, pieces = _forecasts(season, champions, domain, simulator)
    draw, draws, note = _draw_inputs(len(season.remaining), shares, pieces)
    rules = season.rules
    simulated = simulate_season(
        season.teams,
        season.home,
        season.away,
        points=season.points,
        goal_difference=season.score_difference,
        goals_for=season.scored,
        rule=PointsRule(*rules.points),
        n_sims=n_sims,
        seed=seed,
        **draw,
    )
    table = simulated.summary(
        top=rules.top, relegated=rules.relegated or 0, points_label=rules.points_label
    )
    return SimulationResult(
        domain=domain.name,
        competition=season.competition,
        season=season.season,
        as_of=season.as_of,
        n_sims=n_sims,
        seed=seed,
        draws=draws,
        models=shares,
        n_played=season.n_played,
        n_remaining=len(season.remaining),
        rules=rules,
        table=table,
        note=note,
    )


def _record(result: SimulationResult) -> SimulationRecord:
    table, rules = result.table, result.rules
    positions = [c for c in table.columns if c.startswith("p_pos_")]
    relegated = rules.relegated or 0
    teams = [
        TeamOdds(
            team=str(row["team"]),
            expected_points=float(row[rules.points_label]),
            p_title=float(row["p_title"]),
            p_top=float(row[f"p_top{rules.top}"]),
            p_relegation=float(row["p_relegation"]) if relegated else None,
            positions=[float(row[c]) for c in positions],
        )
        for _, row in table.iterrows()
    ]
    return SimulationRecord(
        domain=result.domain,
        competition=result.competition,
        season=result.season,
        as_of=result.as_of,
        models=[
            {
                "model_version_id": s.model.id,
                "label": s.model.label,
                "information": s.information,
                "games": s.games,
            }
            for s in result.models
        ],
        n_sims=result.n_sims,
        seed=result.seed,
        draws=result.draws,
        top=rules.top,
        relegated=relegated,
        points_label=rules.points_label,
        n_played=result.n_played,
        n_remaining=result.n_remaining,
        simplifications=rules.simplifications,
        teams=teams,
    )


def simulate_seasons(
    store: Store,
    as_of: datetime,
    competitions: list[str] | None = None,
    *,
    n_sims: int = 10_000,
    seed: int = 0,
    relegated: int | None = None,
    publish: bool = True,
    domain: Domain | str | None = None,
) -> list[SimulationResult]:
    """Simulate the season in progress at ``as_of`` of each of ``competitions`` (None: every
    competition with one), ``n_sims`` times each, and publish each as a snapshot.

    Parameters
    ----------
    relegated
        The bottom places counted as relegated, instead of the domain's rule for the
        competition (0: no ``p_relegation``).
    publish
        Store and publish each simulation (the same inputs and seed give the same snapshot,
        stored once).

    Raises
    ------
    ConfigError
        For a domain without league tables, or ``n_sims`` below 1.
    DataError
        For a competition the store does not have, or without a season in progress.
    ModelNotFoundError
        When no model was deployed as of ``as_of``, or a game left has no champion for what is
        known about it (nothing is written).
    SchemaMismatchError
        When a champion was trained on another feature version.
    """
    results, _ = _simulate(
        store, as_of, competitions, n_sims, seed, relegated, publish, domain, tolerate=False
    )
    return results


def simulate_in_progress(
    store: Store,
    as_of: datetime,
    *,
    n_sims: int = 10_000,
    seed: int = 0,
    domain: Domain | str | None = None,
) -> tuple[list[SimulationResult], dict[str, str]]:
    """Every season in progress at ``as_of`` simulated and published (the daily run's step):
    the simulations, and why each competition that could not be simulated was not (a game left
    without a champion for what is known about it).

    Raises
    ------
    ConfigError, ModelNotFoundError, SchemaMismatchError
        As :func:`simulate_seasons`, for what stops every competition alike (no league
        tables, no model deployed as of ``as_of``).
    """
    return _simulate(store, as_of, None, n_sims, seed, None, True, domain, tolerate=True)


def _simulate(
    store: Store,
    as_of: datetime,
    competitions: list[str] | None,
    n_sims: int,
    seed: int,
    relegated: int | None,
    publish: bool,
    domain: Domain | str | None,
    *,
    tolerate: bool,
) -> tuple[list[SimulationResult], dict[str, str]]:
    resolved = resolve_domain(domain)
    simulator = _simulator(resolved)
    if n_sims < 1:
        raise ConfigError(f"--n: {n_sims} simulations; give 1 or more")
    if relegated is not None and relegated < 0:
        raise ConfigError(f"--relegated: {relegated} is negative")
    champions = current_champions(store, as_of, resolved)
    frame = resolved.load_frame(store, as_of).frame
    names = simulator.seasons_in_progress(frame, as_of) if competitions is None else competitions
    seasons = [simulator.season(frame, name, as_of) for name in names]
    results, skipped = [], {}
    for season in seasons:
        if relegated is not None:
            season = replace(season, rules=replace(season.rules, relegated=relegated or None))
        if (season.rules.relegated or 0) >= len(season.teams):
            raise ConfigError(
                f"--relegated: {season.rules.relegated} places of a {len(season.teams)}-team table"
            )
        try:
            results.append(_simulate_one(season, champions, resolved, simulator, n_sims, seed))
        except ModelNotFoundError as exc:
            if not tolerate:
                raise
            skipped[season.competition] = str(exc)
    if publish:
        for result in results:
            published = publish_simulation(store, _record(result))
            result.simulation_id = published.simulation_id
            result.created, result.published = published.created, published.published
    return results, skipped
