"""Prediction commands: ``predict:run`` (publish, then warm the API's Redis). A domain adds its
own (``predict:match`` for matches, see :func:`formline.cli.app.mount_domain_commands`)."""

from __future__ import annotations

from collections import Counter
from typing import Any

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
from formline.domain import counted, plural
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
            f"{counted(resolved, n)} not predicted: no champion for what is known about them "
            f"({information}); train one, e.g. `formline model:train --domain {resolved.name}"
            f"{' --no-market' if information == resolved.information_needed(False) else ''}`",
            markup=False,
            highlight=False,
        )
    if result.snapshot_id is None:
        console.print(
            f"no {plural(resolved.event_noun)} predicted in ({instant:%Y-%m-%d %H:%M}, "
            f"+{days} days]"
        )
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
        f"snapshot {result.snapshot_id} {state}: "
        f"{counted(resolved, len(result.predictions))} as of {instant.isoformat()}Z; {used}"
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
