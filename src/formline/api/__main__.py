"""``python -m formline.api``: run the read API under uvicorn (what ``formline serve`` execs).

A module of its own so that uvicorn's worker processes, which re-import the main module when
they start, load only the API and not the command line (Typer, Rich).
"""

from __future__ import annotations

import os
import sys


def _without_pydantic_v1() -> None:
    """Make ``pydantic.v1`` unimportable in this process (an API server, or one of its workers).

    FastAPI asks of every response model whether it is a Pydantic v1 model, importing
    ``pydantic.v1`` to check (and treating an ImportError as "no"). formline has no v1 model,
    and that import alone costs each API worker about 1.5 MB (docs/benchmarks.md). A ``None``
    in ``sys.modules`` makes the import fail at once. Done at import, because uvicorn's worker
    processes import this module (as ``__mp_main__``) before they load the app.
    """
    sys.modules.setdefault("pydantic.v1", None)  # type: ignore[arg-type]


_without_pydantic_v1()


def main(argv: list[str] | None = None) -> None:
    """Parse the serve options and run uvicorn with the app factory."""
    # Imported here, not at the top: every worker imports this module, and needs none of them.
    import argparse
    import atexit
    import copy
    import shutil
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m formline.api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--access-log", action="store_true")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its metrics here so /metrics sums them, whichever worker answers.
        folder = tempfile.mkdtemp(prefix="formline-metrics-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    # formline's own messages (cache warmed, Redis or the store down) go where uvicorn's go.
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["loggers"]["formline"] = {
        "handlers": ["default"],
        "level": args.log_level.upper(),
        "propagate": False,
    }

    uvicorn.run(
        "formline.api.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=args.access_log,
        log_level=args.log_level,
        log_config=log_config,
        ws="none",  # the API has no websocket route; not loading one saves memory
    )


if __name__ == "__main__":
    main()
