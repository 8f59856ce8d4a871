"""A written move regroups only the lanes it touched, and the lane that showed its preview is
not drawn a second time; the lanes still show exactly what the index holds."""

from __future__ import annotations

import random

from msgspec.structs import replace

from catalyst_tui.core.models import Card, CardRefs
from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui.board_model import changed_ids, group, parse_filter, regroup
from catalyst_tui.ui.testing import make_app, settle, wait_for_data

AGENTS = ["aretha", "bjork", "bowie"]
COLUMNS = ["backlog", "todo", "doing", "done"]


def card(n: int, agent: str, column: str, order: float) -> Card:
    return Card(id=f"c-{n:08d}", agent=agent, column=column, order=order, title=f"task {n} {agent}",
                created=1.0, moved=1.0, refs=CardRefs())


def test_regroup_agrees_with_grouping_from_scratch_over_random_changes() -> None:
    rng = random.Random(7)
    cards = {c.id: c for c in (card(n, rng.choice(AGENTS), rng.choice(COLUMNS), float(rng.randrange(9)))
                               for n in range(60))}
    for flt in (None, parse_filter("aretha"), parse_filter("column:todo")):
        shown = group(cards.values(), AGENTS, COLUMNS, flt)
        current = cards
        for step in range(200):
            new = dict(current)
            for _ in range(rng.randint(1, 3)):
                what = rng.random()
                if what < 0.6 and new:  # a move or a reassignment (a new object, as a write makes)
                    cid = rng.choice(list(new))
                    new[cid] = replace(new[cid], agent=rng.choice(AGENTS), column=rng.choice(COLUMNS),
                                       order=float(rng.randrange(9)))
                elif what < 0.8 and new:  # archived: leaves the index
                    del new[rng.choice(list(new))]
                elif what < 0.9:  # added, sometimes into a lane the board does not show
                    n = 1000 + step
                    new[f"c-{n:08d}"] = card(n, rng.choice([*AGENTS, "ghost"]), rng.choice(COLUMNS), 0.0)
                elif new:  # an edit
                    cid = rng.choice(list(new))
                    new[cid] = replace(new[cid], title=new[cid].title + " aretha")
            before = {a: [list(col) for col in cols] for a, cols in shown.lanes.items()}
            got = regroup(shown, current, new, COLUMNS, flt)
            assert got is not None
            assert got.lanes == group(new.values(), AGENTS, COLUMNS, flt).lanes, (step, flt)
            assert {a: [list(col) for col in cols] for a, cols in shown.lanes.items()} == before  # not in place
            shown, current = got, new


def test_changed_ids_names_what_changed_and_gives_up_past_its_limit() -> None:
    old = {c.id: c for c in (card(n, "bjork", "todo", float(n)) for n in range(10))}
    new = dict(old)
    new["c-00000003"] = replace(old["c-00000003"], column="doing")
    del new["c-00000005"]
    new["c-00000099"] = card(99, "bjork", "todo", 0.0)
    new["c-00000004"] = replace(old["c-00000004"])  # equal, another object: not a change
    assert sorted(changed_ids(old, new) or []) == ["c-00000003", "c-00000005", "c-00000099"]
    moved_all = {cid: replace(c, column="done") for cid, c in old.items()}
    assert changed_ids(old, moved_all, limit=4) is None


async def test_a_written_move_redraws_no_lane_a_second_time(seed_factory) -> None:
    ws: Workspace = seed_factory(per_lane=12)
    app = make_app(ws)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("2")
        await settle(pilot)
        view = app.screen.view
        lane = view.lane
        card_id = lane.focused_card().id
        target = view.columns[view.columns.index(lane.focused_card().column) + 1]
        redraws = {ln.agent: ln.redraws for ln in view.lanes}
        app.screen.action_shift_column(1)  # what shift+right does: the preview now, the write in a worker
        after_preview = lane.redraws
        assert after_preview > redraws["bjork"]  # the preview drew the move at once
        await settle(pilot)
        on_disk = ws.board.load()
        assert on_disk.cards[card_id].column == target and app.index.seq == on_disk.seq
        assert lane.redraws == after_preview  # the written move drew nothing more
        assert {ln.agent: ln.redraws for ln in view.lanes if ln is not lane} == {
            a: n for a, n in redraws.items() if a != "bjork"}
        # what each lane holds is the index's truth (the written card, its order), not the preview's
        for ln in view.lanes:
            assert ln.cards == group(on_disk.cards.values(), view.agents, view.columns).lanes[ln.agent]
        assert lane.focused_card().id == card_id and lane.focused_card().column == target
