"""Themes: validated TOML, user themes, broken files, persistence, NO_COLOR, shipped in the wheel."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import orjson
import pytest

from catalyst_tui.core.workspace import Workspace
from catalyst_tui.ui import themes
from catalyst_tui.ui.testing import make_app, wait_for_data

REPO = Path(__file__).resolve().parents[2]


def test_shipped_themes_are_valid_and_cover_the_four_kinds() -> None:
    loaded = themes.load_all(None)
    assert loaded.problems == []
    assert {"catalyst-dark", "night-shift", "catalyst-light", "catalyst-ansi"} <= set(loaded.themes)
    assert not loaded.themes["catalyst-light"].dark
    assert loaded.themes["catalyst-ansi"].ansi
    for theme in loaded.themes.values():  # agent and status colours are theme variables
        for var in ("agent-1", "agent-9", "status-ok", "status-offline", "card-focus"):
            assert var in theme.variables, (theme.name, var)
    ansi = loaded.themes["catalyst-ansi"]
    assert all(v.startswith("ansi_") for k, v in ansi.variables.items() if k.startswith(("agent-", "status-")))


def test_stylesheets_use_no_hex_colours() -> None:
    hexcol = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?(?![\w-])")
    css_blocks = re.compile(r'DEFAULT_CSS = """(.*?)"""', re.S)
    checked = 0
    for path in (REPO / "catalyst_tui" / "ui").rglob("*.py"):
        for block in css_blocks.findall(path.read_text()):
            checked += 1
            assert not hexcol.findall(block), f"{path}: hex colour in TCSS"
    assert checked >= 8


@pytest.mark.parametrize("content, problem", [
    ("name = 'x'\nprimary = [", "invalid TOML"),
    ("name = 'Bad Name'\nprimary = '#fff'", "name"),
    ("name = 'x'\nprimary = 'not-a-colour'", "primary"),
    ("name = 'x'\nprimary = '#fff'\nshiny = true", "shiny"),
    ("name = 'x'\nprimary = '#fff'\n[variables]\nstatus-okay = '#fff'", "status-okay"),
    ("dark = true", "name"),
])
def test_broken_theme_file_is_one_line_naming_file_and_problem(tmp_path: Path, content: str, problem: str) -> None:
    (tmp_path / "themes").mkdir()
    bad = tmp_path / "themes" / "broken.toml"
    bad.write_text(content)
    loaded = themes.load_all(tmp_path)
    assert len(loaded.problems) == 1
    msg = loaded.problems[0]
    assert msg.startswith(str(bad)) and problem in msg and "\n" not in msg
    assert "catalyst-dark" in loaded.themes  # the shipped ones are unaffected


def test_the_app_config_and_themes_import_no_pydantic(tmp_path: Path) -> None:
    """One schema (msgspec): a start-up that loads the config and every theme needs nothing else."""
    Workspace.create(tmp_path / "ws")
    (tmp_path / "themes").mkdir()
    (tmp_path / "themes" / "mine.toml").write_text(
        "name = 'mine'\nprimary = '#123456'\n[variables]\nstatus-ok = '#00ff00'\n")
    code = ("import sys; from pathlib import Path; import catalyst_tui.ui.app; from catalyst_tui.ui import themes; "
            "from catalyst_tui.core.workspace import Workspace; ws = Workspace.open(sys.argv[1]); "
            "t = themes.load_all(Path(sys.argv[2])).themes; "
            "print(ws.config.metrics.port, t['mine'].variables['status-ok'], len(t), 'pydantic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "ws"), str(tmp_path)],
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["19100", "#00ff00", str(len(themes.load_all(tmp_path).themes)), "False"]


async def test_broken_saved_theme_notifies_and_falls_back(seeded: Workspace) -> None:
    cfg = seeded.root / ".test-config"  # make_app's settings directory
    (cfg / "themes").mkdir(parents=True)
    (cfg / "themes" / "mine.toml").write_text("name = 'mine'\nprimary = '#zzz'\n")
    (cfg / "settings.json").write_bytes(orjson.dumps({"theme": "mine"}))
    app = make_app(seeded)
    assert app.config_dir == cfg
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        assert app.theme == themes.DEFAULT_THEME
        messages = [n.message for n in app._notifications]
        assert any(str(cfg / "themes" / "mine.toml") in m and "primary" in m for m in messages)
        assert any("'mine' is not available" in m for m in messages)


async def test_user_theme_and_persistence_across_restarts(seeded: Workspace) -> None:
    cfg = seeded.root / ".test-config"
    (cfg / "themes").mkdir(parents=True)
    (cfg / "themes" / "mine.toml").write_text(
        "name = 'mine'\nprimary = '#123456'\ndark = true\n[variables]\nstatus-ok = '#00ff00'\n")
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        assert "mine" in app.available_themes
        app.action_set_theme("mine")
        await pilot.pause(0.2)
        for w in list(app.workers):
            await w.wait()
        assert app.theme_variables["status-ok"].lower() == "#00ff00"
    assert orjson.loads((cfg / "settings.json").read_bytes())["theme"] == "mine"
    again = make_app(seeded)
    async with again.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        assert again.theme == "mine"


async def test_theme_override_for_one_run_is_not_saved(seeded: Workspace) -> None:
    app = make_app(seeded, theme_name="night-shift")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        assert app.theme == "night-shift"
    assert not (app.config_dir / "settings.json").exists()


async def test_no_color_is_respected(seeded: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        assert app.no_color  # Textual renders in monochrome
        assert app.theme == themes.ANSI_THEME


def test_themes_ship_inside_the_wheel(tmp_path: Path) -> None:
    import hatchling  # noqa: F401  (a dev dependency: the wheel is built for real, never skipped)
    out = subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path / "dist")],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    wheel = next((tmp_path / "dist").glob("*.whl"))
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(site)
    assert "catalyst_tui/themes/night-shift.toml" in names
    code = ("from catalyst_tui.ui import themes; l = themes.load_all(None); "
            "print(themes.shipped_dir()); print(sorted(l.themes)); print(l.problems)")
    env = {"PYTHONPATH": str(site), "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    shipped, names_line, problems = run.stdout.splitlines()
    assert shipped == str(site / "catalyst_tui" / "themes")
    assert "night-shift" in names_line and "catalyst-ansi" in names_line and problems == "[]"


async def test_problem_notifications_are_not_markup(seeded: Workspace) -> None:
    cfg = seeded.root / ".test-config"
    (cfg / "themes").mkdir(parents=True)
    bad = cfg / "themes" / "[bold]x[-link=evil].toml"
    bad.write_text("name = 'x'\nprimary = '[red]boom[/red]'\n")
    app = make_app(seeded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_data(pilot)
        notes = [n for n in app._notifications if str(bad) in n.message]
        assert len(notes) == 1 and not notes[0].markup
        assert "[red]boom[/red]" in notes[0].message
