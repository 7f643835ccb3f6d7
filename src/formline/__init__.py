"""formline: a sports prediction worker with point-in-time features."""

__version__ = "0.1.0"
