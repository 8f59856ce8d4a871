"""Alarms look like alarms in every terminal: for every shipped theme, the alarm colours stay apart
from every neutral highlight after down-sampling to 256 and to 16 colours (as rich does for
Textual when the terminal has no truecolor: tmux with TERM=screen-256color, no COLORTERM).

The colours are the app's own: Textual's design variables for the theme, with the app's
defaults under the theme's variables (what ``CatalystApp.get_theme_variable_defaults`` and the
theme give every stylesheet), translucent ones blended over the theme's background.
"""

from __future__ import annotations

import pytest
from rich.color import ColorSystem
from textual.color import Color

from catalyst_tui.ui import themes
from catalyst_tui.ui.widgets.triage_line import TriageLine

SHIPPED = sorted(themes.load_all(themes.config_dir()).themes)
# the affected triage bar ($error), and the status colours of borders, badges and the list
ALARMS = ("error", "status-degraded", "status-quarantined", "status-offline")
# what is drawn when nothing is wrong: backgrounds, focus and cursor highlights, the focus border
NEUTRAL = ("background", "surface", "panel", "boost", "card-focus", "lane-focus", "accent", "primary",
           "block-cursor-background")
SYSTEMS = {"truecolor": ColorSystem.TRUECOLOR, "256": ColorSystem.EIGHT_BIT, "16": ColorSystem.STANDARD}


def resolved(theme_name: str) -> dict[str, Color]:
    theme = themes.load_all(themes.config_dir()).themes[theme_name]
    variables = {**themes.variable_defaults(), **theme.to_color_system().generate(), **theme.variables}
    background = Color.parse(variables["background"])
    out = {}
    for name in (*ALARMS, *NEUTRAL):
        colour = Color.parse(variables[name])
        out[name] = background + colour if colour.a < 1 else colour  # as Textual composes it
    return out


def sampled(colour: Color, system: ColorSystem) -> object:
    down = colour.rich_color.downgrade(system)
    return down.triplet if system is ColorSystem.TRUECOLOR and down.triplet else down.number


def test_the_shipped_themes_are_all_checked() -> None:
    assert {"catalyst-dark", "catalyst-light", "catalyst-ansi", "night-shift"} <= set(SHIPPED)


@pytest.mark.parametrize("system", list(SYSTEMS))
@pytest.mark.parametrize("theme_name", SHIPPED)
def test_alarm_colours_never_collide_with_a_neutral_highlight(theme_name: str, system: str) -> None:
    colours = resolved(theme_name)
    cs = SYSTEMS[system]
    neutral = {name: sampled(colours[name], cs) for name in NEUTRAL}
    collisions = [(alarm, name) for alarm in ALARMS for name, value in neutral.items()
                  if sampled(colours[alarm], cs) == value]
    assert not collisions, f"{theme_name} at {system} colours: alarm drawn like a neutral highlight: {collisions}"


def test_the_collision_check_can_fail() -> None:
    """The check sees what tmux showed: a 30 % red tint over the dark background samples to the
    same grey as the focused card at 256 colours (the look this test keeps from coming back)."""
    c = resolved("catalyst-dark")
    tint = c["background"] + Color.parse("#e06c75").with_alpha(0.3)
    assert sampled(tint, ColorSystem.STANDARD) == sampled(c["card-focus"], ColorSystem.STANDARD)


def test_the_triage_bar_uses_the_alarm_variable() -> None:
    """What the test above checks is what the affected bar is painted with."""
    assert "TriageLine.-affected { background: $error;" in TriageLine.DEFAULT_CSS
