"""python -m load.host PORT: the local host alone (no timers, no demo data), on the database
the environment's settings name; what `python -m load` drives from its own process."""
from __future__ import annotations

import signal
import sys


def main(port: int) -> int:
    from function_app import app
    from local.host import make_server

    server = make_server(app, "127.0.0.1", port)
    # Started from a background shell, SIGINT may be ignored: SIGTERM always stops it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"serving on http://127.0.0.1:{port}", flush=True)
    try:
        server.serve_forever(0.1)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
