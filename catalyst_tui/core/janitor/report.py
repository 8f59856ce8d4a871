"""The per-run report: what was scanned, archived, removed, flagged and reclaimed, per agent."""

from __future__ import annotations

from typing import Any

from catalyst_tui.core.janitor.plan import Plan

SHARED = "(shared)"  # paths that belong to no single tenant (board/, .catalyst/, ...)


def _key(agent: str | None) -> str:
    return agent if agent else SHARED


def _blank() -> dict[str, int]:
    return {"scanned": 0, "footprint_bytes": 0, "archived": 0, "removed": 0, "flagged": 0, "rotated": 0,
            "abandoned": 0, "kept": 0, "bytes_reclaimed": 0, "cards_archived": 0}


def build_report(plan: Plan, started: float, finished: float, *, dry_run: bool,
                 recovered: list[dict[str, Any]] | None = None,
                 done: list[dict[str, Any]] | None = None,
                 cards_archived: dict[str, int] | None = None) -> dict[str, Any]:
    """A JSON-ready report. In a dry run ``actions`` is the plan: exactly what a real run would do
    (a real run still re-verifies each file right before acting, and keeps it if it changed)."""
    walk = plan.walk
    agents: dict[str, dict[str, int]] = {}

    def fig(agent: str | None) -> dict[str, int]:
        return agents.setdefault(_key(agent), _blank())

    for agent, n in walk.files_by_agent.items():
        fig(agent)["scanned"] += n
    for agent, b in walk.bytes_by_agent.items():
        fig(agent)["footprint_bytes"] += b
    actions = [i.to_json() for i in plan.items] if done is None else done
    verbs = {"archive": "archived", "remove": "removed", "flag": "flagged", "rotate": "rotated"}
    for a in actions:
        f = fig(a["agent"])
        f[verbs[a["action"]]] += 1
        if a["action"] in ("archive", "remove"):
            f["bytes_reclaimed"] += int(a["bytes"])
            f["footprint_bytes"] -= int(a["bytes"])
    for k in plan.kept:
        fig(k["agent"])["kept"] += 1
    for ab in plan.abandon:
        fig(ab.agent)["abandoned"] += 1
        fig(ab.agent)["flagged"] += 1
    for fc in plan.flag_cards:
        fig(fc["agent"])["flagged"] += 1
    # done cards out of the index: planned (dry run) or moved (real run)
    for agent, n in (plan.archive_cards if cards_archived is None else cards_archived).items():
        fig(agent)["cards_archived"] += n
    totals = _blank()
    for figures in agents.values():
        for name, v in figures.items():
            totals[name] += v
    return {
        "run": plan.run_id,
        "dry_run": dry_run,
        "started": started,
        "finished": finished,
        "duration_s": round(max(0.0, finished - started), 4),
        "clock": plan.now,
        "full_walk": walk.full,
        "capped": walk.capped,
        "scanned": walk.scanned,
        "totals": totals,
        "agents": dict(sorted(agents.items())),
        "actions": actions,
        "kept": plan.kept,
        "abandoned": [a.to_json() for a in plan.abandon],
        "flagged_cards": plan.flag_cards,
        "reported": plan.reported,
        "recovered": recovered or [],
        "mounts_skipped": walk.mounts,
        "unopenable": [{"path": p, "why": w} for p, w in walk.unopenable],
        "errors": plan.errors,
        "failures": plan.failures,
        "problems": plan.problems,
    }


def flagged_items(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Everything a run flagged, each with its agent: for the screen and ``janitor report``."""
    out: list[dict[str, Any]] = []
    for a in report.get("actions", []):
        if a.get("action") == "flag":
            out.append({"agent": a.get("agent"), "what": a.get("path"), "why": a.get("reason")})
    for ab in report.get("abandoned", []):
        out.append({"agent": ab.get("agent"), "what": f"dispatch {ab.get('id')}", "why": ab.get("reason")})
    for fc in report.get("flagged_cards", []):
        out.append({"agent": fc.get("agent"), "what": f"card {fc.get('card')}", "why": fc.get("reason")})
    for rep in report.get("reported", []):
        out.append({"agent": rep.get("agent"), "what": rep.get("kind"), "why": rep.get("detail")})
    return out


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int = 16) -> str:
    """The last ``width`` values as block characters (min..max of those values)."""
    vals = values[-width:]
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    if hi <= lo:
        return SPARK[0] * len(vals)
    return "".join(SPARK[int((v - lo) / (hi - lo) * (len(SPARK) - 1))] for v in vals)


def footprint_rows(history: list[dict[str, Any]], width: int = 16) -> list[dict[str, Any]]:
    """Per agent: latest footprint, change over the recorded history, and a sparkline of it."""
    series: dict[str, list[tuple[float, int, int]]] = {}
    for rec in history:
        agent, b, f = rec.get("agent"), rec.get("bytes"), rec.get("files")
        if isinstance(agent, str) and isinstance(b, int):
            series.setdefault(agent, []).append((float(rec.get("ts") or 0), b, f if isinstance(f, int) else 0))
    rows = []
    for agent in sorted(series):
        points = sorted(series[agent])
        first, last = points[0], points[-1]
        rows.append({"agent": agent, "bytes": last[1], "files": last[2], "growth": last[1] - first[1],
                     "since": first[0], "points": len(points),
                     "spark": sparkline([float(p[1]) for p in points], width)})
    return rows
