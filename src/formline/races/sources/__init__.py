"""Racing sources: pure readers of files into :class:`~formline.races.frames.RaceBatch`."""
