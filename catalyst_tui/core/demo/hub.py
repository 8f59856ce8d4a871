"""A stand-in hub service for the demo: ``python -m catalyst_tui.core.demo.hub SERVICE PORT``.

Listens on 127.0.0.1:PORT under a command line that names SERVICE, so the port map sees the
documented service up. Accepts and closes connections; exits on SIGTERM / SIGINT, or when
its parent (the demo) is gone.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading

from catalyst_tui.core.errors import os_reason


def serve(service: str, port: int, stop: threading.Event) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(16)
        sock.settimeout(0.5)
        parent = os.getppid()
        while not stop.is_set() and os.getppid() == parent:
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(f"{service}: catalyst-tui demo stand-in\n".encode())


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].isdigit():
        print("usage: python -m catalyst_tui.core.demo.hub SERVICE PORT", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        serve(argv[0], int(argv[1]), stop)
    except OSError as exc:
        print(f"demo_hub {argv[0]}: cannot listen on 127.0.0.1:{argv[1]}: {os_reason(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
