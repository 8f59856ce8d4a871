"""A real child process for the port tests: opens the sockets named on its command line
(``tcp:127.0.0.1:0``, ``udp:::1:4242``, ...), prints their bound ports as one JSON line, then
waits until its stdin closes. ``--fork`` forks once after binding (a pre-fork server)."""

from __future__ import annotations

import json
import os
import socket
import sys


def main(argv: list[str]) -> None:
    socks = []
    ports = []
    fork = "--fork" in argv
    for spec in (a for a in argv if not a.startswith("--")):
        proto, rest = spec.split(":", 1)
        host, port = rest.rsplit(":", 1)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, int(port)))
        if proto == "tcp":
            s.listen(16)
        socks.append(s)
        ports.append(s.getsockname()[1])
    child = os.fork() if fork else -1
    if child != 0:
        print(json.dumps({"ports": ports, "pid": os.getpid(), "child": child if child > 0 else None}), flush=True)
    sys.stdin.read()
    if child > 0:
        os.kill(child, 9)
        os.waitpid(child, 0)


if __name__ == "__main__":
    main(sys.argv[1:])
