"""Failure tests: kill -9 mid-push, concurrent pushers, disk full on the target, readers mid-switch."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from snaphelpers import tree, write

from catalyst_tui.core.snapshot import Mirror, Record, push, state_path, take_snapshot
from catalyst_tui.core.snapshot.targets import open_target
from catalyst_tui.core.workspace import Workspace

Make = Callable[..., Workspace]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "catalyst_tui", "snapshot", *args]


@pytest.fixture(params=["file", "sftp"])
def mirror(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path]:
    """(URL, local directory) of an empty mirror: a plain directory, or one served by the real sshd."""
    if request.param == "file":
        (tmp_path / "m").mkdir()
        return f"file://{tmp_path / 'm'}", tmp_path / "m"
    server = request.getfixturevalue("sshd")
    path = server.user_dir(server.scratch("mirror") / "m")
    return f"{server.url_base}{path}?identity={server.client_key}&known_hosts={server.known_hosts}", path


def current(url: str) -> Record | None:
    with open_target(url) as target:
        return Mirror(target).current()


def verify(url: str) -> list[str]:
    with open_target(url) as target:
        return Mirror(target).verify()


def restore(url: str, into: Path) -> None:
    with open_target(url) as target:
        Mirror(target).restore(into)


@pytest.mark.slow
def test_kill_9_at_random_points_never_breaks_the_mirror(make_ws: Make, mirror: tuple[str, Path]) -> None:
    rng = random.Random(int(os.environ.get("CATALYST_TEST_SEED", "7")))
    ws = make_ws({f"data/f{i}": os.urandom(1 << 20) for i in range(8)})
    url, _ = mirror
    push(ws, url)
    # How long a whole push takes in a subprocess (interpreter start included): the kill window.
    for i in range(8):
        write(ws.root, f"data/f{i}", os.urandom(1 << 20))
    t0 = time.monotonic()
    subprocess.run(cli("push", "-w", str(ws.root), "--to", url), check=True, capture_output=True, timeout=120)
    window = time.monotonic() - t0
    killed = 0
    for round_no in range(8):
        before = current(url)
        for i in rng.sample(range(8), 3):
            write(ws.root, f"data/f{i}", os.urandom(1 << 20))
        proc = subprocess.Popen(cli("push", "-w", str(ws.root), "--to", url), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.2, 1.0) * window)
        proc.send_signal(signal.SIGKILL)
        rc = proc.wait(timeout=30)
        killed += rc == -signal.SIGKILL
        now = current(url)
        assert now is not None and before is not None
        # The mirror serves the previous snapshot, or the new one whole: never anything in between.
        assert now == before or now.seq > before.seq, f"round {round_no}"
        assert verify(url) == [], f"round {round_no}: current snapshot not whole after kill -9"
        # The next push completes (a stale commit lock from the killed pusher is broken).
        result = push(ws, url)
        assert current(url) == result.record
        assert result.record.id == take_snapshot(ws).id
        assert verify(url) == []
    assert killed >= 3, f"only {killed} of 8 pushes were actually killed mid-way (window {window:.2f} s)"


def test_two_concurrent_pushers_exactly_one_wins(make_ws: Make, tmp_path: Path, mirror: tuple[str, Path]) -> None:
    url, _ = mirror
    hub1 = make_ws({"data/a": b"hub1"})
    push(hub1, url)
    for round_no in range(3):
        # hub2 is a clone of hub1's lineage (same generation, same sequence number).
        hub2_root = tmp_path / f"clone{round_no}"
        shutil.copytree(hub1.root, hub2_root, ignore=shutil.ignore_patterns("mirror"))
        hub2 = Workspace.open(hub2_root)
        assert state_path(hub2).read_bytes() == state_path(hub1).read_bytes()
        write(hub1.root, "data/a", os.urandom(3 << 20))
        write(hub2.root, "data/a", os.urandom(3 << 20))
        before = current(url)
        assert before is not None
        procs = [subprocess.Popen(cli("push", "-w", str(h.root), "--to", url, "--json"), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for h in (hub1, hub2)]
        outs = [p.communicate(timeout=120) for p in procs]
        codes = [p.returncode for p in procs]
        assert sorted(codes) == [0, 1], (codes, outs)
        winner = codes.index(0)
        loser_err = outs[1 - winner][1]
        assert "sequence" in loser_err or "commit lock" in loser_err, loser_err
        cur = current(url)
        assert cur is not None and cur.seq == before.seq + 1
        assert cur.id == take_snapshot([hub1, hub2][winner]).id
        assert verify(url) == []
        if winner == 1:
            shutil.copy(state_path(hub2), state_path(hub1))  # keep hub1 ahead for the next round


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[None]:
    path.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN): {out.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_disk_full_on_the_target_while_staging(make_ws: Make, mirror: tuple[str, Path]) -> None:
    url, mdir = mirror
    owner = mdir.stat()
    with tmpfs(mdir, "1m"):
        os.chown(mdir, owner.st_uid, owner.st_gid)  # the sshd user must own the tmpfs root too
        ws = make_ws({"data/small": b"s" * 1000})
        first = push(ws, url)
        write(ws.root, "data/big", os.urandom(2 << 20))
        with pytest.raises(OSError) as err:
            push(ws, url)
        assert "No space left" in str(err.value) or "Failure" in str(err.value) or err.value.errno == 28
        assert current(url) == first.record
        assert verify(url) == []
        leftovers = [n for d in ("objects", "manifests", "staging") for n in os.listdir(mdir / d) if ".tmp-" in n]
        assert leftovers == []
        out = subprocess.run(cli("push", "-w", str(ws.root), "--to", url), capture_output=True, text=True)
        assert out.returncode == 1 and out.stderr.startswith("catalyst-tui: error:") and out.stderr[-1] == "\n"
        assert out.stderr.count("\n") == 1  # one line, no traceback
        (ws.root / "data/big").unlink()
        write(ws.root, "data/small", b"t" * 1000)
        assert push(ws, url).record.seq > first.record.seq
        assert verify(url) == []


def test_a_reader_during_the_pointer_switch_sees_all_old_or_all_new(make_ws: Make, tmp_path: Path,
                                                                     mirror: tuple[str, Path]) -> None:
    def state(i: int) -> dict[str, bytes]:
        return {"data/x": f"x{i}".encode() * 5000, "data/y": f"y{i}".encode() * 5000}

    ws = make_ws(state(0), keep=50)
    url, _ = mirror
    push(ws, url)
    stop = threading.Event()
    seen: list[int] = []
    errors: list[str] = []

    def reader() -> None:
        n = 0
        while not stop.is_set():
            out = tmp_path / f"r{n}"
            n += 1
            try:
                restore(url, out)
            except Exception as exc:
                errors.append(repr(exc))
                continue
            files = tree(out)
            xs, ys = files["data/x"], files["data/y"]
            ix, iy = int(xs[1 : xs.index(b"x", 1)]), int(ys[1 : ys.index(b"y", 1)])
            if ix != iy:
                errors.append(f"mixed snapshot: x from {ix}, y from {iy}")
            seen.append(ix)
            shutil.rmtree(out)

    t = threading.Thread(target=reader)
    t.start()
    try:
        for i in range(1, 25):
            for rel, data in state(i).items():
                write(ws.root, rel, data)
            push(ws, url)
    finally:
        stop.set()
        t.join(30)
    assert errors == []
    assert len(set(seen)) >= 3, f"the reader saw too few snapshots to mean anything: {sorted(set(seen))}"
