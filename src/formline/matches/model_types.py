"""The names of the match model types: the one list the factory builds from and the command
line's help and checks derive from.

It lives apart from :mod:`formline.matches.models.factory` (which re-exports it) because it
imports nothing heavy: the command line reads it for ``--help`` without loading NumPy and pandas.
"""

from __future__ import annotations

from formline.errors import ConfigError

MODEL_TYPES = ("logistic", "goals", "lightgbm", "dixon-coles", "elo", "market", "ensemble")


def check_model_options(
    model_type: str, *, use_market: bool = True, trials: int = 0, option: str = "--model-type"
) -> None:
    """Refuse an unknown model type, ``market`` without odds, and a search that cannot run, before
    any data is read or any registry row written.

    Raises
    ------
    ConfigError
        Naming the option and the reason.
    """
    if model_type not in MODEL_TYPES:
        raise ConfigError(f"{option}: unknown '{model_type}'; choose from {', '.join(MODEL_TYPES)}")
    if model_type == "market" and not use_market:
        raise ConfigError(f"{option} market needs odds; it cannot run with --no-market")
    if trials < 0:
        raise ConfigError(f"--trials: {trials} is negative; give 0 (no search) or more")
    if trials and model_type != "lightgbm":
        raise ConfigError(f"--trials: only lightgbm has a search; --model-type is {model_type}")
