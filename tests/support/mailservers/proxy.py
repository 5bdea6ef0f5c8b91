"""A small TCP proxy on 127.0.0.1 that can go silent without closing anything.

``pause()`` models a connection that stops answering (a laptop that slept, a NAT that forgot
the flow, a Wi-Fi hand-over): every socket stays open, nothing is read or forwarded in
either direction, and new connections are accepted but hear nothing. ``resume()`` carries on
from where it stopped, forwarding whatever waited in the kernel buffers. ``cut()`` closes
every connection at once, as a reset would.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from types import TracebackType

from .processes import HOST

CHUNK = 65536


class SilentProxy:
    """Forward 127.0.0.1:<port> to (HOST, upstream_port); see the module docstring."""

    def __init__(self, upstream_port: int, upstream_host: str = HOST) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server((HOST, 0))
        self.port: int = self._listener.getsockname()[1]
        self._selector = selectors.DefaultSelector()
        self._peers: dict[socket.socket, socket.socket] = {}
        self._lock = threading.Lock()
        self._forwarding = threading.Event()
        self._forwarding.set()
        self._stopping = threading.Event()
        self.connections = 0  # accepted so far, for tests that expect a reconnect
        self._thread = threading.Thread(target=self._run, name="silent-proxy", daemon=True)

    def __repr__(self) -> str:
        state = "forwarding" if self._forwarding.is_set() else "silent"
        return f"SilentProxy({self.port} -> {self.upstream[1]}, {state})"

    def __enter__(self) -> SilentProxy:
        self._listener.setblocking(False)
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def pause(self) -> None:
        """Stop forwarding in both directions; keep every connection open."""
        self._forwarding.clear()

    def resume(self) -> None:
        """Forward again, starting with whatever waited meanwhile."""
        self._forwarding.set()

    def cut(self) -> None:
        """Close every proxied connection (both ends), as a reset would."""
        with self._lock:
            pairs = list(self._peers.items())
            self._peers.clear()
        for sock, _ in pairs:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(sock)
            sock.close()

    def close(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self.cut()
        self._listener.close()
        self._selector.close()

    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self._forwarding.is_set():
                # Silent: read nothing, accept nothing new into the pump, write nothing.
                self._forwarding.wait(0.05)
                continue
            for key, _ in self._selector.select(0.05):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self._listener:
                    self._accept()
                else:
                    self._pump(sock)

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
        self.connections += 1
        for sock in (client, server):
            sock.setblocking(True)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self._peers[client] = server
            self._peers[server] = client
        self._selector.register(client, selectors.EVENT_READ)
        self._selector.register(server, selectors.EVENT_READ)

    def _pump(self, sock: socket.socket) -> None:
        with self._lock:
            peer = self._peers.get(sock)
        if peer is None:
            return
        try:
            data = sock.recv(CHUNK)
            if data:
                peer.sendall(data)
                return
        except OSError:
            pass
        # One side closed: close both, as a real path would end up doing.
        with self._lock:
            self._peers.pop(sock, None)
            self._peers.pop(peer, None)
        for end in (sock, peer):
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(end)
            end.close()
