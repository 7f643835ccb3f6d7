"""The pipeline: the one layer that wires the pure core to the adapters.

The CLI, the scheduler and task queues all call these functions. Arguments are plain,
serialisable values (paths, timestamps, numbers) so a queue can run any step later.
"""
