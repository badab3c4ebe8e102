"""A network in the benchmarks: a TCP proxy in front of PostgreSQL that delays every chunk of
bytes, each direction, by a fixed time (0.5 ms: a 1 ms round trip, as between a function app
and its database in one Azure region), so that each round trip costs what it costs there.

    with DelayProxy(target.app_dsn, one_way_seconds=0.0005) as proxy:
        psycopg2.connect(proxy.dsn(target.app_dsn))

Threads: per connection and direction one reader, which stamps what it reads, and one sender,
which sends it once its time has come; so a delay is added to each message, not accumulated
over a stream of them. loopback's own latency (~30 us) is beside it."""
from __future__ import annotations

import queue
import socket
import threading
import time

from psycopg2.extensions import make_dsn, parse_dsn

ONE_WAY_SECONDS = 0.0005


def _upstream_address(dsn: str):
    """(family, address) of the server a libpq connection string names: TCP, or the Unix
    socket of an embedded PostgreSQL (a host that is a directory)."""
    params = parse_dsn(dsn)
    host, port = params.get("host", "127.0.0.1"), int(params.get("port", 5432))
    if host.startswith("/"):
        return socket.AF_UNIX, f"{host}/.s.PGSQL.{port}"
    return socket.AF_INET, (host, port)


class DelayProxy:
    def __init__(self, dsn: str, one_way_seconds: float = ONE_WAY_SECONDS):
        self.family, self.upstream = _upstream_address(dsn)
        self.delay = one_way_seconds
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []

    def dsn(self, dsn: str) -> str:
        """The same connection string, through the proxy."""
        return make_dsn(dsn, host="127.0.0.1", port=self.port)

    def __enter__(self) -> "DelayProxy":
        threading.Thread(target=self._accept, name="delay-proxy", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._closed.set()
        for sock in [self._listener, *self._sockets]:
            try:
                sock.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.socket(self.family, socket.SOCK_STREAM)
            server.connect(self.upstream)
            for sock in (client, server):
                if sock.family == socket.AF_INET:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sockets += [client, server]
            self._pipe(client, server)
            self._pipe(server, client)

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        chunks: queue.SimpleQueue = queue.SimpleQueue()

        def read() -> None:
            while True:
                try:
                    data = source.recv(65536)
                except OSError:
                    data = b""
                chunks.put((time.perf_counter() + self.delay, data))
                if not data:
                    return

        def send() -> None:
            while True:
                due, data = chunks.get()
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                if not data:
                    try:
                        sink.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return
                try:
                    sink.sendall(data)
                except OSError:
                    return

        for target in (read, send):
            threading.Thread(target=target, daemon=True).start()


def delayed(target, one_way_seconds: float = ONE_WAY_SECONDS):
    """For the duration: the process's pool (the endpoint's) connects through a DelayProxy;
    yields the app role's connection string through the same proxy, for the floor. The proxy
    runs in a process of its own, so that its threads never wait for the benchmark's GIL."""
    from contextlib import contextmanager

    @contextmanager
    def scope():
        import subprocess
        import sys
        from shared import db
        from shared.settings import get_settings
        proxy = subprocess.Popen(
            [sys.executable, "-m", "bench.network", target.app_dsn, str(one_way_seconds)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            port = int(proxy.stdout.readline())
            db.close_pool()
            db._pool = db.Pool(get_settings().model_copy(
                update={"db_host": "127.0.0.1", "db_port": port}))
            yield make_dsn(target.app_dsn, host="127.0.0.1", port=port)
        finally:
            db.close_pool()
            proxy.stdin.close()  # the proxy ends when its input does
            proxy.wait(timeout=10)
    return scope()


def main(argv: list[str]) -> None:
    """python -m bench.network DSN [ONE_WAY_SECONDS]: prints the port, serves until stdin ends."""
    import sys
    dsn, delay = argv[0], float(argv[1]) if len(argv) > 1 else ONE_WAY_SECONDS
    with DelayProxy(dsn, delay) as proxy:
        print(proxy.port, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    import sys
    main(sys.argv[1:])
