"""The store: one schema on SQLite (embedded default) and PostgreSQL, SQLAlchemy 2 + Alembic."""

from formline.store.db import Store, open_store

__all__ = ["Store", "open_store"]
