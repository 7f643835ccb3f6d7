"""Running the pipeline on Celery workers: the app built from the settings (:mod:`.app`), the
tasks as thin calls of the pipeline's steps with serialisable arguments (:mod:`.tasks`), which
failures are retried (:mod:`.retry`), and the distributed prediction step of ``daily:run
--distributed`` (:mod:`.distributed`).

Only this package imports Celery (the ``celery`` extra); the pipeline knows nothing of it.
"""

from __future__ import annotations
