"""Real-tmux helpers for the benchmarks: a tmux session with its own server, a polling wait,
and a process's CPU time in nanoseconds' resolution."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path


class TmuxSession:
    def __init__(self, base: Path, name: str) -> None:
        self.sock = base / f"{name}.sock"
        self.base = ["tmux", "-S", str(self.sock), "-f", "/dev/null"]
        self.name = name
        self.pipe_file = base / f"{name}.out"

    def start(self, cmd: str, env: dict[str, str] | None = None) -> None:
        full_env = {**os.environ, "TERM": "screen-256color", **(env or {})}
        subprocess.run([*self.base, "new-session", "-d", "-s", self.name, "-x", "80", "-y", "24", "exec " + cmd],
                       check=True, env=full_env, timeout=15)

    def _out(self, *args: str) -> str:
        return subprocess.run([*self.base, *args], capture_output=True, text=True, timeout=15).stdout

    def pid(self) -> int:
        return int(self._out("list-panes", "-t", self.name, "-F", "#{pane_pid}").split()[0])

    def capture(self) -> str:
        return self._out("capture-pane", "-p", "-t", self.name)

    def keys(self, *keys: str) -> None:
        self._out("send-keys", "-t", self.name, *keys)

    def pipe(self) -> None:
        """Count from now: close a running pipe (no argument closes it), empty the file, open anew."""
        subprocess.run([*self.base, "pipe-pane", "-t", self.name], check=True, timeout=15)
        time.sleep(0.2)
        self.pipe_file.write_bytes(b"")
        subprocess.run([*self.base, "pipe-pane", "-o", "-t", self.name, f"cat >> {shlex.quote(str(self.pipe_file))}"],
                       check=True, timeout=15)

    def piped_bytes(self) -> int:
        return self.pipe_file.stat().st_size if self.pipe_file.exists() else 0

    def kill(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True, timeout=15)


def wait_for(pred, timeout: float, what: str, step: float = 0.05) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if pred():
            return time.monotonic() - start
        time.sleep(step)
    raise SystemExit(f"timed out waiting for {what}")


def cpu_seconds(pid: int) -> float:
    """CPU time of every thread of ``pid`` in nanoseconds' resolution (``/proc/PID/task/*/schedstat``;
    the clock-tick figures of ``/proc/PID/stat`` are 10 ms steps, too coarse for 0.2 % of a minute).
    A thread that ends between two readings takes its time with it: the dashboard's threads are
    long-lived (the driver's two, the executor's pool, the watcher), so that does not happen here."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as fh:
                total += int(fh.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e9


class ControlClient:
    """A persistent tmux client in control mode (``tmux -C``) on a session: ``capture-pane`` as a
    command over its pipe, answered by the same server from the same pane as ``tmux capture-pane``
    run as a new process each time, without a fork and exec per look (each costs milliseconds of
    CPU on a small machine, taken from the process being measured)."""

    def __init__(self, session: TmuxSession) -> None:
        self.session = session
        self.proc = subprocess.Popen([*session.base, "-C", "attach-session", "-t", session.name],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.command("refresh-client -f no-output")  # the pane's bytes are not streamed to us

    def command(self, line: str) -> list[str]:
        """Run one tmux command; its output lines (between its %begin and %end)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        out: list[str] = []
        inside = False
        while True:
            raw = self.proc.stdout.readline()
            if not raw:
                raise RuntimeError(f"tmux control client ended ({line!r})")
            text = raw.decode(errors="replace").rstrip("\n")
            if not inside:
                inside = text.startswith("%begin ")  # anything before is a notification
                continue
            if text.startswith(("%end ", "%error ")):
                return out
            out.append(text)

    def capture(self) -> str:
        return "\n".join(self.command(f"capture-pane -p -t {self.session.name}"))

    def close(self) -> None:
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
