"""Mount points inside the workspace, which the janitor never enters.

A device check (``st_dev``) does not see a bind mount of a directory of the same filesystem,
so mount points are read from the mount table (``/proc/self/mountinfo``, once per walk), and
each directory an action is about to happen in is checked by its mount id
(``/proc/self/fdinfo/<fd>``), which catches a mount made after the table was read.
Where there is no ``/proc`` (not Linux), only the device check applies.
"""

from __future__ import annotations

import re

MOUNTINFO = "/proc/self/mountinfo"
_OCTAL = re.compile(r"\\([0-7]{3})")


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \ooo
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


def mount_points_under(root: str, mountinfo: str = MOUNTINFO) -> set[str]:
    """Relative paths (``"a/b"``) of the mount points strictly inside ``root`` (a real path)."""
    prefix = root.rstrip("/") + "/"
    out: set[str] = set()
    try:
        with open(mountinfo, encoding="utf-8", errors="surrogateescape") as fh:
            for line in fh:
                fields = line.split(" ")
                if len(fields) > 4:
                    point = _unescape(fields[4])
                    if point.startswith(prefix) and len(point) > len(prefix):
                        out.add(point[len(prefix):].rstrip("/"))
    except OSError:
        pass
    return out


def mount_id(fd: int) -> int | None:
    """The mount id of an open descriptor (None where the kernel does not say)."""
    try:
        with open(f"/proc/self/fdinfo/{fd}", "rb") as fh:
            for line in fh:
                if line.startswith(b"mnt_id:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None
