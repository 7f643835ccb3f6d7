"""A TCP proxy on loopback that can stall: the stand-in for a PostgreSQL whose processes are
stopped. Never stop the shared server itself (other tests use it).

Paused, the proxy neither accepts nor reads: the kernel still completes connections and
acknowledges what clients send, exactly as for a server stopped with SIGSTOP, and nothing comes
back. Resumed, it forwards again (what was sent meanwhile included).
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from types import TracebackType


class StallingProxy:
    """Forwards ``127.0.0.1:<port>`` to ``upstream`` until :meth:`pause`, then stalls."""

    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        self._paused = threading.Event()
        self._stop = threading.Event()
        self._peers: dict[socket.socket, socket.socket] = {}
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._thread = threading.Thread(target=self._run, name="stalling-proxy", daemon=True)
        self._thread.start()

    def url(self, base: str) -> str:
        """``base`` (a postgresql:// URL to the upstream) pointed at the proxy instead."""
        host = f"{self.upstream[0]}:{self.upstream[1]}"
        assert host in base, base
        return base.replace(host, f"127.0.0.1:{self.port}")

    def pause(self) -> None:
        """Stop accepting and forwarding (connections stay open)."""
        self._paused.set()

    def resume(self) -> None:
        """Forward again."""
        self._paused.clear()

    def close(self) -> None:
        """Stop the proxy and close every connection."""
        self._stop.set()
        self._thread.join(timeout=5)
        for sock in [self._listener, *self._peers]:
            sock.close()

    def __enter__(self) -> StallingProxy:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _drop(self, sock: socket.socket) -> None:
        peer = self._peers.pop(sock, None)
        for each in (sock, peer):
            if each is None:
                continue
            self._peers.pop(each, None)
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(each)
            each.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._paused.is_set():
                self._stop.wait(0.02)
                continue
            for key, _ in self._selector.select(timeout=0.05):
                if self._paused.is_set():
                    break
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self._listener:
                    self._accept()
                    continue
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                peer = self._peers.get(sock)
                if not data or peer is None:
                    self._drop(sock)
                    continue
                try:
                    peer.sendall(data)
                except OSError:
                    self._drop(sock)

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
        except BlockingIOError:
            return
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        for sock in (client, server):
            sock.setblocking(True)
            self._selector.register(sock, selectors.EVENT_READ)
        self._peers[client] = server
        self._peers[server] = client
