"""A TCP proxy that can also be slowed down or stalled (tests/bot/servers.TcpProxy can
only be cut): slow for an action past the timeout, stalled for a crash mid-turn."""

from __future__ import annotations

import socket
import threading
import time

from tests.bot.servers import TcpProxy, _close


class ControlledProxy(TcpProxy):
    def __init__(self, target_port: int) -> None:
        super().__init__(target_port)
        self.delay = 0.0
        self._flowing = threading.Event()
        self._flowing.set()

    def stall(self) -> None:
        """Connections are accepted but nothing passes, like a hung server."""
        self._flowing.clear()

    def flow(self) -> None:
        self.delay = 0.0
        self._flowing.set()

    def restore(self) -> None:
        """After a cut, a stall or a delay: forward normally again."""
        self.flow()
        if self._listener is None:
            self.start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._flowing.wait()
                if self.delay:
                    time.sleep(self.delay)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with self._lock:
                    self._connections.discard(sock)
                _close(sock)
