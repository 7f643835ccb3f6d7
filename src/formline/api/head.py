"""HEAD on every read: answered exactly as the GET would be, headers only (RFC 9110, 9.3.2).

FastAPI routes declared with ``GET`` refuse ``HEAD`` with a 405, which breaks ``curl -I`` and
the monitors and load balancers that probe ``/health`` with it. Rather than doubling every
route (and every operation in the OpenAPI schema), the request is served as a GET and the body
dropped on the way out; ``Content-Length`` and ``ETag`` stay those of the GET.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """ASGI middleware: serve ``HEAD`` as ``GET`` without the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
