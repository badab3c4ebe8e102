"""The local host in a process of its own, for the fault tests: the FunctionApp behind
local.host on a free port, against the database that the DB_* settings of its environment name.
Prints the port, then serves until SIGTERM.

    python -m tests.faults.host_process
"""
from __future__ import annotations

import signal
import sys
import threading


def main() -> int:
    from function_app import app
    from local.host import make_server

    server = make_server(app, "127.0.0.1", 0)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    print(server.server_address[1], flush=True)
    stop.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
