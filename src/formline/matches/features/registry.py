"""The match feature registry: every feature the builder may emit, and the parameters behind
them. The registry is the allow-list; its schema hash is the feature version stored with
snapshots and model bundles.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from formline.core.feature_registry import FeatureSet, FeatureSpec

SIDES = ("home", "away")

#: Metrics averaged over a team's recent results: (column suffix, what it is).
FORM_METRICS = (
    ("points", "points (3 win, 1 draw)"),
    ("goals_for", "goals scored"),
    ("goals_against", "goals conceded"),
    ("shots_for", "shots taken"),
    ("shots_against", "shots conceded"),
    ("sot_for", "shots on target taken"),
    ("sot_against", "shots on target conceded"),
    ("xg_for", "expected goals for"),
    ("xg_against", "expected goals against"),
)
VENUE_METRICS = ("points", "goals_for", "goals_against", "sot_for", "sot_against")
#: Metrics with a long-memory, exponentially weighted mean over all of a team's earlier results.
LONG_FORM_METRICS = (
    ("goals_for", "goals scored"),
    ("goals_against", "goals conceded"),
    ("shots_for", "shots taken"),
    ("shots_against", "shots conceded"),
    ("sot_for", "shots on target taken"),
    ("sot_against", "shots on target conceded"),
    ("corners_for", "corners won"),
    ("corners_against", "corners conceded"),
    ("xg_for", "expected goals for"),
    ("xg_against", "expected goals against"),
)
#: Statistics rated as margins (see ``formline.core.ratings.margin``): name -> what.
MARGIN_STATS = {"goals": "goals", "sot": "shots on target", "shots": "shots"}


@dataclass(frozen=True)
class FeatureParams:
    """Parameters of the match features; part of the feature version."""

    elo_k: float = 20.0
    elo_home_advantage: float = 65.0
    elo_mean: float = 1500.0
    elo_promoted_penalty: float = 100.0
    elo_season_regression: float = 1.0 / 3.0
    elo_use_mov: bool = True
    pi_learning_rate: float = 0.035
    pi_cross_rate: float = 0.7
    form_windows: tuple[int, ...] = (5, 10)
    venue_window: int = 5
    h2h_window: int = 5
    congestion_days: int = 14
    #: Rest days are capped here: a longer break (a summer, a promoted team's years away) says
    #: nothing more about freshness, and an uncapped value swamps a linear model.
    rest_cap_days: float = 14.0
    #: A result further back than this (or none known) marks the team's first match.
    first_match_gap_days: float = 180.0
    long_form_half_life: float = 20.0
    margin_k_goals: float = 0.01
    margin_k_sot: float = 0.01
    margin_k_shots: float = 0.02
    margin_home_k: float = 0.002
    margin_season_regression: float = 0.2
    #: Half-life, in the competition's results, of the recent home advantage (six rounds of a
    #: top flight: it follows a change such as matches without crowds within weeks). Chosen a
    #: priori, not tuned on the test seasons.
    home_advantage_half_life: float = 60.0

    def margin_k(self, stat: str) -> float:
        """The update share of the margin rating of ``stat`` (a key of :data:`MARGIN_STATS`)."""
        value: float = getattr(self, f"margin_k_{stat}")
        return value


def _specs(params: FeatureParams) -> list[FeatureSpec]:
    specs = [
        FeatureSpec("home_elo", "Elo rating of the home team as of the cutoff", group="elo"),
        FeatureSpec("away_elo", "Elo rating of the away team as of the cutoff", group="elo"),
        FeatureSpec("elo_diff", "home_elo - away_elo", group="elo"),
        FeatureSpec(
            "elo_home_expected",
            "Elo expected score of the home team, home advantage included",
            group="elo",
        ),
        FeatureSpec("home_pi_home", "pi-rating of the home team at home (goals)", group="pi"),
        FeatureSpec("away_pi_away", "pi-rating of the away team away (goals)", group="pi"),
        FeatureSpec(
            "pi_expected_goal_diff", "pi-ratings' expected goal difference (home - away)", "pi"
        ),
    ]
    for side in SIDES:
        for window in params.form_windows:
            for metric, what in FORM_METRICS:
                specs.append(
                    FeatureSpec(
                        f"{side}_form{window}_{metric}",
                        f"{side} team: {what} per match over its last {window} results, "
                        "linearly weighted to the most recent",
                        group="form",
                    )
                )
        specs.append(
            FeatureSpec(
                f"{side}_form_matches",
                f"{side} team: results known in its last-{max(params.form_windows)} window",
                group="form",
            )
        )
    for side in SIDES:
        for metric, what in LONG_FORM_METRICS:
            specs.append(
                FeatureSpec(
                    f"{side}_ewm_{metric}",
                    f"{side} team: {what} per match, exponentially weighted over all its earlier "
                    f"results (half-life {params.long_form_half_life:g} matches, across seasons)",
                    group="long_form",
                )
            )
    for stat, what in MARGIN_STATS.items():
        specs += [
            FeatureSpec(
                f"{stat}_rating_diff",
                f"home minus away margin rating in {what} (opponent-adjusted, online least "
                "squares)",
                group="margin",
            ),
            FeatureSpec(
                f"{stat}_home_advantage",
                f"the competition's current home advantage in {what} per match",
                group="margin",
            ),
            FeatureSpec(
                f"{stat}_expected_margin",
                f"expected home-minus-away {what}: rating difference plus home advantage",
                group="margin",
            ),
            FeatureSpec(
                f"{stat}_recent_home_advantage",
                f"the competition's recent home advantage in {what} per match: the "
                "exponentially weighted mean (half-life "
                f"{params.home_advantage_half_life:g} of its results) of the margin the "
                "ratings did not explain; follows a change within a season",
                group="margin",
            ),
        ]
    for side in SIDES:
        for metric in VENUE_METRICS:
            label = dict(FORM_METRICS)[metric]
            specs.append(
                FeatureSpec(
                    f"{side}_{side}_form{params.venue_window}_{metric}",
                    f"{side} team, {side} matches only: {label} per match over the last "
                    f"{params.venue_window}, linearly weighted",
                    group="venue_form",
                )
            )
    for side in SIDES:
        specs += [
            FeatureSpec(
                f"{side}_rest_days",
                f"days since the {side} team's last known result, capped at "
                f"{params.rest_cap_days:g} (the cap when none is known)",
                "rest",
            ),
            FeatureSpec(
                f"{side}_first_match",
                f"1 if the {side} team has no known result in the "
                f"{params.first_match_gap_days:g} days before kickoff (its first match in the "
                "data, or back after a long absence such as promotion), else 0",
                "rest",
            ),
            FeatureSpec(
                f"{side}_matches_{params.congestion_days}d",
                f"{side} team: results in the {params.congestion_days} days before kickoff",
                group="rest",
            ),
        ]
    specs += [
        FeatureSpec(
            "h2h_meetings", f"meetings of the two teams known (last {params.h2h_window})", "h2h"
        ),
        FeatureSpec("h2h_home_points", "home team's points per meeting in those meetings", "h2h"),
        FeatureSpec("h2h_home_goal_diff", "home team's goal difference per meeting", "h2h"),
    ]
    for side in SIDES:
        specs += [
            FeatureSpec(f"{side}_table_position", f"{side} team's league position", "table"),
            FeatureSpec(f"{side}_table_points_per_game", f"{side} team's points per game", "table"),
            FeatureSpec(
                f"{side}_table_goal_diff_per_game",
                f"{side} team's goal difference per game",
                "table",
            ),
            FeatureSpec(f"{side}_table_played", f"{side} team's league games played", "table"),
        ]
    for method in ("shin", "power", "multiplicative"):
        prefix = "market" if method == "shin" else f"market_{method}"
        for outcome in ("home", "draw", "away"):
            specs.append(
                FeatureSpec(
                    f"{prefix}_p_{outcome}",
                    f"{outcome} probability implied by the latest 1X2 odds before the cutoff, "
                    f"margin removed ({method}), averaged over bookmakers",
                    group="market",
                    uses_market=True,
                )
            )
    specs += [
        FeatureSpec(
            "market_margin_1x2",
            "bookmakers' mean 1X2 margin (overround)",
            "market",
            uses_market=True,
        ),
        FeatureSpec(
            "market_p_over_2_5",
            "probability of over 2.5 goals implied by the latest over/under odds (Shin)",
            "market",
            uses_market=True,
        ),
        FeatureSpec(
            "market_margin_over_under",
            "bookmakers' mean over/under 2.5 margin",
            "market",
            uses_market=True,
        ),
        FeatureSpec(
            "market_bookmakers",
            "number of bookmakers behind the 1X2 market features",
            "market",
            uses_market=True,
        ),
    ]
    return specs


def match_feature_set(params: FeatureParams | None = None) -> FeatureSet:
    """The registry of match features for ``params`` (the defaults unless given)."""
    params = params or FeatureParams()
    return FeatureSet(domain="matches", specs=tuple(_specs(params)), params=asdict(params))


MATCH_FEATURES = match_feature_set()
#: The feature version stored with snapshots: the registry's schema hash.
FEATURE_SET_VERSION = MATCH_FEATURES.schema_hash
