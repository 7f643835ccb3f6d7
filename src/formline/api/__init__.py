"""The read-only prediction API (FastAPI): ``create_app(settings)``.

Installed with ``pip install formline[api]``; it imports no numerical library.
"""

from formline.api.app import create_app

__all__ = ["create_app"]
