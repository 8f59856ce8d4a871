"""``catalyst-tui card add|move|list|show``."""

from __future__ import annotations

import argparse
import time

from catalyst_tui.cli.common import add_json_flag, add_workspace_arg, open_workspace, print_json, safe
from catalyst_tui.core.board import OPERATOR
from catalyst_tui.core.errors import CatalystError
from catalyst_tui.core.humanize import age
from catalyst_tui.core.models import Card
from catalyst_tui.core.names import validate_agent_name


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    card = sub.add_parser("card", help="add, move, list and show cards")
    csub = card.add_subparsers(dest="card_command", metavar="ACTION", required=True)

    add = csub.add_parser("add", help="add a card to an agent's lane (prints the id)")
    add_workspace_arg(add)
    add.add_argument("agent", metavar="AGENT")
    add.add_argument("title", metavar="TITLE")
    add.add_argument("--column", "-c", help="column (default: the first column)")
    add.add_argument("--by", default=OPERATOR, help="who adds it (agent name or 'operator')")
    add.set_defaults(func=run_add)

    move = csub.add_parser("move", help="move a card to a column and/or another agent's lane")
    add_workspace_arg(move)
    move.add_argument("card_id", metavar="ID")
    move.add_argument("column", metavar="COLUMN")
    move.add_argument("--agent", "-a", help="reassign to this agent's lane")
    move.add_argument("--by", default=OPERATOR, help="who moves it (agent name or 'operator')")
    move.set_defaults(func=run_move)

    ls = csub.add_parser("list", help="list cards")
    add_workspace_arg(ls)
    ls.add_argument("--agent", "-a", help="only this agent's lane")
    ls.add_argument("--column", "-c", help="only this column")
    add_json_flag(ls)
    ls.set_defaults(func=run_list)

    show = csub.add_parser("show", help="one card: fields, body and history")
    add_workspace_arg(show)
    show.add_argument("card_id", metavar="ID")
    add_json_flag(show)
    show.set_defaults(func=run_show)


def _by(name: str) -> str:
    return name if name == OPERATOR else validate_agent_name(name)


def run_add(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    card = ws.board.add(args.agent, args.title, args.column, by=_by(args.by))
    print(card.id)
    return 0


def run_move(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    ev = ws.board.move(args.card_id, args.column, args.agent, by=_by(args.by))
    assert ev.src and ev.dst
    print(f"{args.card_id}: {ev.src['agent']}/{ev.src['column']} -> {ev.dst['agent']}/{ev.dst['column']}")
    return 0


def card_json(card: Card) -> dict[str, object]:
    d = card.to_dict()
    d["refs"] = {k: v for k, v in d["refs"].items() if v is not None}
    return d


def run_list(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    if args.agent:
        ws.agent(args.agent)
    if args.column and args.column not in ws.config.board.columns:
        raise CatalystError(f"unknown column {args.column!r}")
    view = ws.board.load()
    cols = ws.config.board.columns
    order = {n: i for i, n in enumerate(ws.config.agent_names)}
    cards = [c for c in view.cards.values() if not c.archived
             and (not args.agent or c.agent == args.agent) and (not args.column or c.column == args.column)]
    cards.sort(key=lambda c: (order.get(c.agent, 99), cols.index(c.column) if c.column in cols else 99, c.order))
    if args.json:
        print_json({"cards": [card_json(c) for c in cards], "seq": view.seq, "fallback": view.fallback})
        return 0
    now = time.time()
    for c in cards:
        flags = f" [{','.join(c.flags)}]" if c.flags else ""
        print(f"{c.id}  {c.agent:<10} {c.column:<8} {age(now - c.moved):>7}  {safe(c.title)}{flags}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    card = ws.board.get(args.card_id)
    body = None
    if card.refs.body:
        try:
            body = (ws.root / card.refs.body).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            body = None
    history = ws.board.history(card.id)
    if args.json:
        print_json({"card": card_json(card), "body": body,
                    "history": [{"ts": e.ts, "by": e.by, "action": e.action, "from": e.src, "to": e.dst}
                                for e in history]})
        return 0
    print(f"{card.id}  {safe(card.title)}")
    print(f"lane: {card.agent}  column: {card.column}  flags: {', '.join(card.flags) or '-'}")
    print(f"body: {card.refs.body or '-'}" + ("" if body is not None else " (missing)"))
    if body:
        print(safe(body.rstrip("\n")).replace("\\x0a", "\n"))
    for e in history:
        where = f"{e.src['agent']}/{e.src['column']} -> " if e.src else ""
        to = f"{e.dst['agent']}/{e.dst['column']}" if e.dst else ""
        print(f"  {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(e.ts))}  {e.by:<10} {e.action:<7} {where}{to}")
    return 0
