"""A real HTTP server on 127.0.0.1 for the HTTP source tests: scripted answers per path.

Each path has a queue of :class:`Answer` (the last one repeats): a status, headers, a body (or a
recorded payload file), a delay before answering, a body cut short, or a wait on an event.
Every request is recorded with its path, query and headers. No test needs the internet.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

PAYLOADS = Path(__file__).resolve().parent / "fetch" / "payloads"


@dataclass
class Answer:
    """One scripted response."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line
    cut_after: int | None = None  # send this many body bytes, then close (Content-Length full)
    hold: threading.Event | None = None  # answer only once this is set (or the server stops)
    etag: str | None = None  # answer 304 when If-None-Match equals it

    @classmethod
    def payload(cls, name: str, **options: object) -> Answer:
        """An answer whose body is the recorded payload ``tests/fetch/payloads/NAME``."""
        return cls(body=(PAYLOADS / name).read_bytes(), **options)  # type: ignore[arg-type]


@dataclass
class Request:
    """One request as the server saw it."""

    path: str
    query: str
    headers: dict[str, str]
    at: float


class ScriptedServer:
    """The server's state: the scripts and the requests seen."""

    def __init__(self) -> None:
        self.scripts: dict[str, list[Answer]] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.seen = threading.Condition(self.lock)
        self.url = ""

    def script(self, path: str, *answers: Answer) -> None:
        """Answer ``path`` with ``answers`` in turn (the last one repeats)."""
        with self.lock:
            self.scripts[path] = list(answers)

    def paths(self) -> list[str]:
        """The paths requested, in order."""
        with self.lock:
            return [r.path for r in self.requests]

    def wait_for(self, path: str, timeout: float = 30.0) -> bool:
        """Block until ``path`` was requested (True) or ``timeout`` passed (False)."""
        with self.seen:
            return self.seen.wait_for(lambda: path in [r.path for r in self.requests], timeout)

    def _next(self, path: str) -> Answer | None:
        with self.lock:
            queue = self.scripts.get(path)
            if not queue:
                return None
            return queue.pop(0) if len(queue) > 1 else queue[0]


def _handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return None

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            with server.seen:
                server.requests.append(
                    Request(parts.path, parts.query, dict(self.headers.items()), time.monotonic())
                )
                server.seen.notify_all()
            answer = server._next(parts.path)
            if answer is None:
                answer = Answer(404, b"not found")
            if answer.hold is not None:
                while not answer.hold.wait(0.05) and not server.stopping.is_set():
                    pass
            if answer.delay:
                time.sleep(answer.delay)
            if answer.etag is not None and self.headers.get("If-None-Match") == answer.etag:
                self.send_response(304)
                self.send_header("ETag", answer.etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(answer.status)
            headers = {"Content-Type": "text/csv", **answer.headers}
            if answer.etag is not None:
                headers["ETag"] = answer.etag
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            if answer.cut_after is not None:
                self.send_header("Connection", "close")
            self.end_headers()
            body = answer.body if answer.cut_after is None else answer.body[: answer.cut_after]
            try:
                self.wfile.write(body)
                self.wfile.flush()
            except OSError:
                return
            if answer.cut_after is not None:
                self.close_connection = True

    return Handler


@contextmanager
def scripted_server() -> Iterator[ScriptedServer]:
    """Run a :class:`ScriptedServer` on a free port of 127.0.0.1 for the block."""
    state = ScriptedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield state
    finally:
        state.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
