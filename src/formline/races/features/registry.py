"""The racing feature registry: every feature the runner builder may emit, and the parameters
behind them. The registry is the allow-list; its schema hash is the feature version.

Features come in groups (``form``, ``rating``, ``connections``, ``style``, ``class``, ``draw``,
``field``, ``flags``, ``market``). Market features (``uses_market``) read the public's win odds
as at the off: a model that predicts before the odds exist, or the fundamental stage of the
two-stage model, leaves them out (:meth:`FeatureSet.without_market`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from formline.core.feature_registry import FeatureSet, FeatureSpec

#: Upper bounds (metres) of the distance bands: sprint, mile, middle; longer is staying.
DISTANCE_BANDS = (1200, 1650, 2000)


@dataclass(frozen=True)
class RaceFeatureParams:
    """Parameters of the racing features; part of the feature version."""

    #: Recent-form window, in runs.
    form_window: int = 5
    #: A horse off longer than this is stale.
    stale_days: float = 180.0
    #: A horse with fewer earlier runs than this is a low sample.
    low_sample_runs: int = 3
    #: Pseudo-runs of the strike-rate shrinkage toward the mean (``(wins + m p) / (runs + m)``).
    shrink_runs: float = 20.0
    #: Pseudo-runs of the draw-bias shrinkage toward no bias.
    draw_shrink_runs: float = 50.0
    #: The recent window of the jockey and trainer strike rates, in days.
    recent_days: int = 365
    #: Weng-Lin (Plackett-Luce) rating: prior mean and sd, performance sd, drift per race.
    rating_mu: float = 25.0
    rating_sigma: float = 25.0 / 3.0
    rating_beta: float = 25.0 / 6.0
    rating_tau: float = 25.0 / 300.0
    #: Decimal odds from which a runner is a longshot.
    longshot_odds: float = 20.0
    #: Normalised early position below which a runner led (leader), stalked, raced midfield.
    style_cuts: tuple[float, float, float] = (0.2, 0.45, 0.7)


def _specs(params: RaceFeatureParams) -> list[FeatureSpec]:
    n = params.form_window
    m = params.shrink_runs
    days = params.recent_days
    spec = FeatureSpec
    return [
        # Form: the horse's earlier runs (normalised finish: 0 won, 1 last of the field).
        spec("horse_runs", "the horse's earlier runs (results known before the cutoff)", "form"),
        spec("horse_win_rate", "the horse's career wins per run", "form"),
        spec("horse_place_rate", "the horse's career top-3 finishes per run", "form"),
        spec("horse_norm_finish", "the horse's career mean normalised finish", "form"),
        spec("horse_last_norm_finish", "normalised finish of the horse's last run", "form"),
        spec(f"horse_last{n}_norm_finish", f"mean normalised finish of its last {n} runs", "form"),
        spec(
            f"horse_last{n}_lengths_behind",
            f"mean lengths behind the winner over its last {n} runs",
            "form",
        ),
        spec(
            "horse_momentum",
            f"career mean normalised finish minus the last-{n} mean (> 0: improving)",
            "form",
        ),
        spec("days_since_last_run", "days from the horse's last run to this race's start", "form"),
        spec(
            "body_weight_change",
            "declared body weight minus that of the horse's last run (lb)",
            "form",
        ),
        spec("distance_change", "this race's distance minus that of the last run (m)", "form"),
        # Rating: Weng-Lin Plackett-Luce over finishing orders, in the order results were known.
        spec("rating_mu", "the horse's learned rating (Weng-Lin Plackett-Luce mean)", "rating"),
        spec("rating_sigma", "the uncertainty (sd) of the learned rating", "rating"),
        spec(
            "band_rating_mu",
            "the learned rating from runs on this surface and distance band only",
            "rating",
        ),
        spec("rating_mu_vs_field", "rating_mu minus the field's mean rating_mu", "rating"),
        spec(
            "rating_mu_field_pct", "percentile of rating_mu within the field (0 lowest)", "rating"
        ),
        # Connections.
        spec("jockey_runs", "the jockey's earlier rides", "connections"),
        spec(
            "jockey_win_rate",
            f"the jockey's career strike rate, shrunk toward the mean ({m:g} pseudo-rides)",
            "connections",
        ),
        spec(
            f"jockey_win_rate_{days}d",
            f"the jockey's strike rate over the last {days} days, shrunk toward the mean",
            "connections",
        ),
        spec("trainer_runs", "the trainer's earlier runners", "connections"),
        spec(
            "trainer_win_rate",
            "the trainer's career strike rate, shrunk toward the mean",
            "connections",
        ),
        spec(
            f"trainer_win_rate_{days}d",
            f"the trainer's strike rate over the last {days} days, shrunk toward the mean",
            "connections",
        ),
        spec("jockey_horse_runs", "earlier runs of this jockey on this horse", "connections"),
        spec(
            "jockey_horse_win_rate",
            "strike rate of this jockey on this horse, shrunk toward the mean",
            "connections",
        ),
        spec("jockey_trainer_runs", "earlier rides of this jockey for this trainer", "connections"),
        spec(
            "jockey_trainer_win_rate",
            "strike rate of this jockey for this trainer, shrunk toward the mean",
            "connections",
        ),
        # Running style and sectionals from earlier races.
        spec(
            "early_position",
            f"mean normalised position at the first call over its last {n} runs (0 led)",
            "style",
        ),
        spec(
            "running_style",
            "0 leader, 1 stalker, 2 midfield, 3 closer (from early_position)",
            "style",
        ),
        spec("field_leaders", "runners in the field whose running style is leader", "style"),
        spec(
            "final_sectional",
            f"mean over its last {n} runs of the field's mean final-section time minus its own "
            "(s; > 0: finished faster than the field)",
            "style",
        ),
        # Class and distance.
        spec(
            "race_class", "the race's class as a number (1 highest); null if not numeric", "class"
        ),
        spec(
            "class_change",
            "this race's class minus that of the last run (> 0: down in class)",
            "class",
        ),
        spec("distance", "the race's distance (m)", "class"),
        spec("distance_band", "0 sprint, 1 mile, 2 middle, 3 staying", "class"),
        # Draw.
        spec("draw", "the barrier draw", "draw"),
        spec("draw_relative", "(draw - 1) / (field size - 1): 0 inside, 1 outside", "draw"),
        spec("draw_category", "0 inside, 1 middle, 2 outside third of the field", "draw"),
        spec(
            "draw_bias",
            "mean normalised finish minus 0.5 of earlier runs from this draw category at this "
            "venue, surface and distance band, shrunk toward 0 (< 0: the draw helps)",
            "draw",
        ),
        # The field, from the race card.
        spec("field_size", "runners on the card", "field"),
        spec("carried_weight", "weight carried (lb)", "field"),
        spec("weight_vs_field", "carried weight minus the field's mean", "field"),
        spec("weight_field_pct", "percentile of the carried weight in the field", "field"),
        spec("official_rating", "the official rating on the card", "field"),
        spec("rating_vs_field", "official rating minus the field's mean", "field"),
        spec("rating_field_pct", "percentile of the official rating in the field", "field"),
        spec("horse_age", "the horse's age on the card", "field"),
        # Flags.
        spec(
            "is_stale",
            f"1 if the last run was more than {params.stale_days:g} days before, else 0",
            "flags",
        ),
        spec(
            "is_low_sample",
            f"1 if the horse has fewer than {params.low_sample_runs} earlier runs, else 0",
            "flags",
        ),
        # Market: the public's win odds as at the off (final odds are known at the off only).
        spec(
            "public_prob",
            "the public's win probability: 1/odds of the latest win odds at the cutoff, "
            "normalised over the field (the take removed)",
            "market",
            uses_market=True,
        ),
        spec(
            "public_overround",
            "the field's sum of 1/odds (1 + the take)",
            "market",
            uses_market=True,
        ),
        spec(
            "public_rank",
            "the runner's rank in the public's order (1 favourite)",
            "market",
            uses_market=True,
        ),
        spec(
            "is_favourite",
            "1 for the shortest price of the field (ties all)",
            "market",
            uses_market=True,
        ),
        spec(
            "is_longshot",
            f"1 if the odds are {params.longshot_odds:g} or longer",
            "market",
            uses_market=True,
        ),
    ]


def race_feature_set(params: RaceFeatureParams | None = None) -> FeatureSet:
    """The registry of racing features for ``params`` (the defaults unless given)."""
    params = params or RaceFeatureParams()
    return FeatureSet(domain="races", specs=tuple(_specs(params)), params=asdict(params))


RACE_FEATURES = race_feature_set()
#: The racing feature version: the registry's schema hash.
RACE_FEATURE_SET_VERSION = RACE_FEATURES.schema_hash
