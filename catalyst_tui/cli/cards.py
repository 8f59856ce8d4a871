"""``catalyst-tui card add|move|list|show|restore|undo|redo``."""

from __future__ import annotations

import argparse
import sys
import time

from catalyst_tui.cli.common import add_json_flag, add_workspace_arg, open_workspace, print_json, text
from catalyst_tui.core.board import OPERATOR, describe
from catalyst_tui.core.cardview import list_cards, show_card
from catalyst_tui.core.humanize import age, clock
from catalyst_tui.core.names import validate_agent_name
from catalyst_tui.core.text import visible, visible_block


def register(sub: argparse._SubParsersAction) -> None:
    card = sub.add_parser("card", help="add, move, list, show and restore cards; undo and redo")
    csub = card.add_subparsers(dest="card_command", metavar="ACTION", required=True)

    add = csub.add_parser("add", help="add a card to an agent's lane (prints the id)")
    add_workspace_arg(add)
    add.add_argument("agent", type=text, metavar="AGENT")
    add.add_argument("title", type=text, metavar="TITLE")
    add.add_argument("--column", "-c", type=text, help="column (default: the first column)")
    add.add_argument("--by", type=text, default=OPERATOR, help="who adds it (agent name or 'operator')")
    add.set_defaults(func=run_add)

    move = csub.add_parser("move", help="move a card to a column and/or another agent's lane")
    add_workspace_arg(move)
    move.add_argument("card_id", type=text, metavar="ID")
    move.add_argument("column", type=text, metavar="COLUMN")
    move.add_argument("--agent", "-a", type=text, help="reassign to this agent's lane")
    move.add_argument("--by", type=text, default=OPERATOR, help="who moves it (agent name or 'operator')")
    move.set_defaults(func=run_move)

    ls = csub.add_parser("list", help="list cards")
    add_workspace_arg(ls)
    ls.add_argument("--agent", "-a", type=text, help="only this agent's lane")
    ls.add_argument("--column", "-c", type=text, help="only this column")
    ls.add_argument("--all", action="store_true", help="archived cards too (read from the lanes' archives)")
    add_json_flag(ls)
    ls.set_defaults(func=run_list)

    show = csub.add_parser("show", help="one card: fields, body and history")
    add_workspace_arg(show)
    show.add_argument("card_id", type=text, metavar="ID")
    add_json_flag(show)
    show.set_defaults(func=run_show)

    restore = csub.add_parser("restore", help="bring an archived card back to the board")
    add_workspace_arg(restore)
    restore.add_argument("card_id", type=text, metavar="ID")
    restore.add_argument("--agent", "-a", type=text, help="to this agent's lane (default: the lane it left)")
    restore.add_argument("--column", "-c", type=text, help="to this column (default: the column it left)")
    restore.add_argument("--by", type=text, default=OPERATOR, help="who restores it (agent name or 'operator')")
    restore.set_defaults(func=run_restore)

    for verb, what in (("undo", "undo the last move, edit, archive or restore of an actor"),
                       ("redo", "redo the last action an actor undid")):
        step = csub.add_parser(verb, help=what)
        add_workspace_arg(step)
        step.add_argument("--by", type=text, default=OPERATOR,
                          help="whose action (agent name or 'operator', the default)")
        step.set_defaults(func=run_step, verb=verb)


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
    print(visible(f"{args.card_id}: {ev.src['agent']}/{ev.src['column']} -> {ev.dst['agent']}/{ev.dst['column']}"))
    return 0


def run_list(args: argparse.Namespace) -> int:
    doc = list_cards(open_workspace(args), args.agent, args.column, archived=args.all)
    for problem in doc.pop("problems", []):
        print(f"catalyst-tui: warning: {visible(problem)}", file=sys.stderr)
    if args.json:
        print_json(doc)
        return 0
    now = time.time()
    for c in doc["cards"]:
        flags = f" [{','.join(c['flags'])}]" if c["flags"] else ""
        flags += " [archived]" if c["archived"] else ""
        print(f"{visible(c['id'])}  {visible(c['agent']):<10} {visible(c['column']):<8} {age(now - c['moved']):>7}"
              f"  {visible(c['title'])}{visible(flags)}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    doc = show_card(ws, args.card_id)
    if args.json:
        print_json(doc)
        return 0
    card, body = doc["card"], doc["body"]
    print(f"{visible(card['id'])}  {visible(card['title'])}")
    print(visible(f"lane: {card['agent']}  column: {card['column']}  flags: {', '.join(card['flags']) or '-'}")
          + ("  (archived: `card restore` brings it back)" if card["archived"] else ""))
    print(visible(f"body: {card['refs'].get('body') or '-'}") + ("" if body is not None else " (missing)"))
    if body:
        print(visible_block(body.rstrip("\n")))
    for e in doc["history"]:
        where = f"{e['from']['agent']}/{e['from']['column']} -> " if e["from"] else ""
        to = f"{e['to']['agent']}/{e['to']['column']}" if e["to"] else ""
        print(f"  {clock(e['ts'])}  "
              + visible(f"{e['by']:<10} {e['action']:<7} {where}{to}"))
    if doc["worklog"]:
        print("work log:")
    for r in doc["worklog"]:
        print(f"  {clock(r['ts'])}  {visible(r['text'])}")
    for problem in doc["problems"]:
        print(visible(f"problem: {problem}"), file=sys.stderr)
    return 0


def run_restore(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    ev = ws.board.restore(args.card_id, by=_by(args.by), agent=args.agent, column=args.column)
    print(visible(describe(ev)))
    return 0


def run_step(args: argparse.Namespace) -> int:
    """``card undo|redo --by ACTOR``: that actor's last action, in any session; says which card."""
    board = open_workspace(args).board
    ev = board.undo(by=_by(args.by)) if args.verb == "undo" else board.redo(by=_by(args.by))
    print(visible(describe(ev)))
    return 0
