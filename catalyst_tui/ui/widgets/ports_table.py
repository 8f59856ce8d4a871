"""The port map as a table: grouped by band, problems first, statuses in theme colours.

Rows are keyed (``band:<class>`` for a band's header, ``port:<port>/<proto>`` for a port), so a
refresh that changes only some cells updates those cells in place, and a refresh that changes
the layout keeps the cursor on the same port. Nothing is redrawn when nothing changed.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.color import Color
from textual.widgets import DataTable

from catalyst_tui.core.ports import PortRow, PortsReport, PortStatus
from catalyst_tui.core.text import visible

# (label, key, width): fixed widths so the most useful columns fit 80 cells; "why" takes the rest
COLUMNS = (("status", "status", 12), ("port", "port", 11), ("service", "service", 16), ("owner", "owner", 7),
           ("process", "process", 20), ("bind", "bind", 16), ("why", "why", None))
STATUS_VARIABLE = {
    PortStatus.CONFLICT: "error",
    PortStatus.WRONG_BAND: "warning",
    PortStatus.WRONG_OWNER: "warning",
    PortStatus.DOWN: "status-offline",
    PortStatus.UNDOCUMENTED: "status-quarantined",
    PortStatus.UP: "status-ok",
}
NO_BAND = "(no band)"
# With more room than the 80-column widths: how far each column may grow, in this order (the
# service name, then why a port is a problem, then the process and bind columns); "why" takes the rest.
GROW = (("service", 28), ("why", 72), ("process", 32), ("bind", 24), ("owner", 12))
WHY_MIN = 20


def column_widths(total: int, padding: int = 1) -> dict[str, int | None]:
    """Widths for a table ``total`` cells wide: the fixed 80-column widths, grown into the room
    given; ``why`` is ``None`` (its content's width) when there is no room to share."""
    widths: dict[str, int | None] = {key: width for _, key, width in COLUMNS}
    spare = total - 2 * padding * len(COLUMNS) - sum(w for w in widths.values() if w) - WHY_MIN
    if spare <= 0:
        return widths
    widths["why"] = WHY_MIN
    for key, most in GROW:
        now = widths[key] or 0
        add = min(spare, max(0, most - now))
        widths[key], spare = now + add, spare - add
    widths["why"] = (widths["why"] or 0) + spare
    return widths


def group_rows(report: PortsReport) -> list[tuple[str, str, list[PortRow]]]:
    """(class, description, rows) per band: bands holding problems first (worst first), then by port."""
    groups: dict[str, tuple[str, list[PortRow], int]] = {}
    for b in report.doc.bands:
        groups[b.cls] = (b.description, [], b.lo)
    for row in report.rows:
        cls = row.band.cls if row.band else NO_BAND
        if cls not in groups:
            groups[cls] = (NO_BAND, [], 1 << 20)
        groups[cls][1].append(row)
    ordered = [(cls, title, rows, lo) for cls, (title, rows, lo) in groups.items() if rows]
    ordered.sort(key=lambda g: (min(r.status.rank for r in g[2]), g[3]))
    return [(cls, title, rows) for cls, title, rows, _ in ordered]


def bind_label(row: PortRow) -> str:
    addrs = sorted({lst.address for lst in row.listeners})
    return ", ".join(addrs) if addrs else "-"


def owner_label(row: PortRow) -> str:
    if row.owner:
        return row.owner
    return f"{row.agent}?" if row.agent else "-"


class PortsTable(DataTable[Text]):
    """Call :meth:`show` with each new report; ``row_for_cursor()`` is the selected port."""

    BINDINGS = [Binding("enter", "select_cursor", "Details", id="ports.details")]  # shown in the Footer
    DEFAULT_CSS = """
    PortsTable { height: 1fr; }
    """

    def __init__(self, **kw: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kw)  # type: ignore[arg-type]
        self.rows_by_key: dict[str, PortRow] = {}
        self._layout: list[str] = []
        self._cells: dict[str, tuple[Text, ...]] = {}
        self._styles: dict[str, Style] = {}

    def on_mount(self) -> None:
        self._widths = column_widths(self.size.width or 80, self.cell_padding)
        self._add_columns()
        self._report: PortsReport | None = None

    def _add_columns(self) -> None:
        for label, key, _width in COLUMNS:
            self.add_column(label, key=key, width=self._widths[key])

    def on_resize(self) -> None:
        """The columns use the width they are given (at 160 columns nothing is cut that fits)."""
        widths = column_widths(self.size.width, self.cell_padding)
        if widths == getattr(self, "_widths", None):
            return
        self._widths = widths
        self.clear(columns=True)
        self._add_columns()
        self._layout, self._cells = [], {}
        if self._report is not None:
            self.show(self._report)

    def _style(self, variable: str) -> Style:
        style = self._styles.get(variable)
        if style is None:
            value = self.app.theme_variables.get(variable)
            style = Style(color=Color.parse(value).rich_color if value else None, bold=True)
            self._styles[variable] = style
        return style

    def refresh_theme(self) -> None:
        """Theme changed: forget cached styles; the next ``show`` repaints every cell."""
        self._styles.clear()
        self._cells.clear()

    def _row_cells(self, row: PortRow) -> tuple[Text, ...]:
        status = Text(row.status.value, style=self._style(STATUS_VARIABLE[row.status]))
        return (status, Text(f"{row.port}/{row.protocol}"), Text(visible(row.service or "-")),
                Text(visible(owner_label(row))), Text(visible(row.process_label)),
                Text(visible(bind_label(row))), Text(visible("; ".join(row.reasons))))

    def show(self, report: PortsReport) -> bool:
        """Display ``report``; returns True when anything on screen changed."""
        self._report = report
        layout: list[str] = []
        cells: dict[str, tuple[Text, ...]] = {}
        rows_by_key: dict[str, PortRow] = {}
        for cls, title, rows in group_rows(report):
            key = f"band:{cls}"
            layout.append(key)
            problems = sum(1 for r in rows if r.status.is_problem)
            band = next((b for b in report.doc.bands if b.cls == cls), None)
            count = Text(f"{problems} problem{'s' if problems != 1 else ''}" if problems else "ok",
                         style=self._style("error" if problems else "status-ok"))
            cells[key] = (Text(visible(f"── {cls}"), style="bold"),
                          Text(f"{band.lo}-{band.hi}" if band else "", style="bold"),
                          Text(visible(title), style="dim"),
                          Text(""), count, Text(""), Text(""))
            for row in rows:
                rkey = f"port:{row.port}/{row.protocol}"
                layout.append(rkey)
                cells[rkey] = self._row_cells(row)
                rows_by_key[rkey] = row
        self.rows_by_key = rows_by_key
        if layout == self._layout:
            changed = False
            for key in layout:
                old, new = self._cells.get(key), cells[key]
                if old != new:
                    for (_, col, _w), value in zip(COLUMNS, new, strict=True):
                        self.update_cell(key, col, value)
                    changed = True
            self._cells = cells
            return changed
        keep = self.selected_key()
        self.clear()
        for key in layout:
            self.add_row(*cells[key], key=key)
        self._layout, self._cells = layout, cells
        target = keep if keep in cells else next((k for k in layout if k.startswith("port:")), None)
        if target is not None:
            self.move_cursor(row=self.get_row_index(target), animate=False)
        return True

    def _skip_header(self, step: int) -> None:
        """Band headers are not ports: the cursor steps over them (unless it would leave the table)."""
        row = self.cursor_row
        while 0 <= row < len(self._layout) and self._layout[row].startswith("band:"):
            row += step
        if 0 <= row < len(self._layout):
            self.move_cursor(row=row, animate=False)

    def action_cursor_down(self) -> None:
        super().action_cursor_down()
        self._skip_header(1)

    def action_cursor_up(self) -> None:
        before = self.cursor_row
        super().action_cursor_up()
        self._skip_header(-1)
        key = self.selected_key()
        if key is not None and key.startswith("band:"):
            self.move_cursor(row=before, animate=False)  # the first band's header: stay on the first port

    def selected_key(self) -> str | None:
        if not self._layout or not 0 <= self.cursor_row < len(self._layout):
            return None
        return self._layout[self.cursor_row]

    def row_for_cursor(self) -> PortRow | None:
        key = self.selected_key()
        return self.rows_by_key.get(key) if key else None
