"""Sources of match data. Each returns a :class:`~formline.matches.frames.SourceBatch`."""
