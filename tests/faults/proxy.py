"""A TCP proxy the tests control, between the functions and PostgreSQL: `freeze()` makes it stop
forwarding in both directions and leave new connections unanswered, as a network that drops
packets does (nothing is refused or reset); `thaw()` lets everything through again."""
from __future__ import annotations

import select
import socket
import threading


class FreezableProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self._listener.getsockname()[1]
        self._flowing = threading.Event()
        self._flowing.set()
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> "FreezableProxy":
        self._spawn(self._accept)
        return self

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def stop(self) -> None:
        self._stopped.set()
        self._flowing.set()
        # close() alone leaves the accepting thread blocked in accept() (Linux), and join() then
        # waited its whole timeout; shutdown() wakes it.
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already shut
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=2)

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed by stop()
                return
            self._spawn(self._pipe, client)

    def _pipe(self, client: socket.socket) -> None:
        # While frozen a new connection is accepted (the kernel would anyway) and left waiting.
        self._wait_until_flowing()
        try:
            server = socket.create_connection(self.upstream, timeout=2)
        except OSError:  # the database is down: the client sees its connection closed
            client.close()
            return
        server.settimeout(None)
        pair = {client: server, server: client}
        try:
            while not self._stopped.is_set():
                self._wait_until_flowing()
                readable, _, _ = select.select(list(pair), [], [], 0.05)
                for sock in readable:
                    if not self._flowing.is_set():
                        break  # frozen between select and read: the bytes stay unread
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)
        except OSError:
            return
        finally:
            client.close()
            server.close()

    def _wait_until_flowing(self) -> None:
        while not self._flowing.wait(0.05):
            if self._stopped.is_set():
                return
