"""``catalyst-tui web`` end to end: a real server, Debian's headless Chromium through
chromium-driver, and plain HTTP requests for the checks a browser would never show."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
from pathlib import Path

import pytest
from selenium.webdriver.common.keys import Keys

from catalyst_tui.cli.web import DEFAULT_PORT
from catalyst_tui.core.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]


def _get(port: int, path: str = "/", **headers: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def _upgrade(port: int, path: str = "/ws?width=80&height=24", **headers: str) -> int:
    """The status of a websocket handshake (101 when accepted)."""
    return _get(port, path, Connection="Upgrade", Upgrade="websocket", **{
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13"}, **headers).status


@pytest.mark.browser
def test_the_dashboard_in_chromium_read_only_and_offline(ws: Workspace, demo_ports_free, web_server, chromium) -> None:
    # demo_ports_free: the session's port scan must not see another test run's demo on the hub ports
    card = ws.board.add("aretha", "Fix the router", "backlog")  # the card focused when the board opens
    server = web_server()
    assert "read-only" in server.banner and server.url in server.banner
    page = chromium(server.url)
    page.wait_for("Fix the router", "READ-ONLY", "F3 Ports")

    # nothing from the internet: every request went to this server, the font included
    fetched = [u for u in page.requests if u.startswith(("http:", "https:", "ws:", "wss:"))]
    assert fetched and all(u.startswith(server.url) for u in fetched), fetched
    assert any("/static/fonts/RobotoMono" in u for u in fetched)
    assert page.driver.execute_script("return document.fonts.check('16px \"Roboto Mono\"')") is True

    seq = ws.board.load().seq
    since = page.mark()
    page.press(">")  # move the focused card to the next column: a write
    page.wait_for("read-only: move not done", since=since)
    assert ws.board.load().seq == seq and ws.board.get(card.id).column == "backlog"

    since = page.mark()
    page.press(Keys.F3)
    shown = page.wait_for("catalyst-hub", "nothing listening", since=since)
    assert "3131/tcp" in shown
    page.driver.save_screenshot(str(ws.root.parent / "ports-in-chromium.png"))  # for a person, on failure


@pytest.mark.browser
def test_a_token_guards_every_request_and_is_printed_once(ws: Workspace, web_server, chromium) -> None:
    server = web_server("--host", "0.0.0.0", "--token", "--max-sessions", "1")
    token = re.search(r"\?token=([\w-]+)", server.banner)
    assert token, server.banner
    token = token.group(1)
    port = server.port
    for path in ("/", "/static/js/textual.js", "/download/x"):
        assert _get(port, path).status == 401, path
    assert _upgrade(port) == 401
    assert _get(port, "/?token=wrong").status == 401
    assert _get(port, "/", Authorization="Bearer wrong").status == 401
    login = _get(port, f"/?token={token}")
    assert login.status == 303 and login.getheader("Location") == "/"
    cookie = login.getheader("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert _get(port, "/", Cookie=cookie.split(";")[0]).status == 200
    assert _get(port, "/", Authorization=f"Bearer {token}").status == 200

    page = chromium(f"{server.url}?token={token}")  # the cookie carries the websocket too
    page.wait_for("READ-ONLY", "F1 Board")
    assert token not in page.driver.current_url
    # past the token (else 401), and one tab is open already: --max-sessions 1
    assert _upgrade(port, Authorization=f"Bearer {token}") == 503
    server.stop()
    assert token not in server.stderr.read_text()  # never logged


def test_a_non_loopback_bind_needs_a_token(ws: Workspace, web_server, unused_port: int) -> None:
    out = subprocess.run([sys.executable, "-m", "catalyst_tui", "web", "-w", str(ws.root), "--host", "0.0.0.0",
                          "--port", str(unused_port)], capture_output=True, text=True, check=False, timeout=30)
    assert out.returncode == 2 and out.stdout == ""
    assert "--host 0.0.0.0 is not loopback: a token is required" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    with pytest.raises(ConnectionRefusedError):  # it never listened
        _get(unused_port)
    # a token from the environment: the server starts, and does not print it
    server = web_server("--host", "0.0.0.0", env={"CATALYST_WEB_TOKEN": "s3cret-from-env"})
    assert "token required" in server.banner and "s3cret" not in server.banner
    assert _get(server.port).status == 401
    assert _get(server.port, Authorization="Bearer s3cret-from-env").status == 200


def test_writes_need_a_token_even_on_loopback(ws: Workspace, web_server, unused_port: int) -> None:
    out = subprocess.run([sys.executable, "-m", "catalyst_tui", "web", "-w", str(ws.root), "--allow-writes",
                          "--port", str(unused_port)], capture_output=True, text=True, check=False, timeout=30)
    assert out.returncode == 2 and out.stdout == ""
    assert "--allow-writes needs a token" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    with pytest.raises(ConnectionRefusedError):  # it never listened
        _get(unused_port)
    server = web_server("--allow-writes", "--token", "s3cret")
    assert "writes allowed; token required" in server.banner
    assert _get(server.port).status == 401
    assert _get(server.port, Authorization="Bearer s3cret").status == 200


def test_loopback_names_and_same_origin_only(ws: Workspace, web_server) -> None:
    server = web_server()
    port = server.port
    assert _get(port).status == 200
    assert _get(port, Host=f"localhost:{port}").status == 200
    assert _get(port, Host=f"evil.example:{port}").status == 421  # DNS rebinding
    assert _upgrade(port, Origin="http://evil.example") == 403  # another site's page
    assert _upgrade(port, Origin=f"http://127.0.0.1:{port}") == 101
    assert _get(port, "/static/").status in (403, 404)  # no directory listing


def test_the_default_port_is_the_one_ports_md_documents() -> None:
    rows = [line for line in (REPO / "PORTS.md").read_text().splitlines() if "catalyst-tui-web" in line]
    assert len(rows) == 1 and rows[0].startswith(f"| {DEFAULT_PORT} | tcp | catalyst-tui-web | dashboard |")
    assert 19100 <= DEFAULT_PORT <= 19199


def test_bad_arguments_are_one_line(ws: Workspace) -> None:
    out = subprocess.run([sys.executable, "-m", "catalyst_tui", "web", "-w", str(ws.root), "--port", "70000"],
                         capture_output=True, text=True, check=False, timeout=30)
    assert out.returncode == 2 and "--port 70000: not a TCP port" in out.stderr and "Traceback" not in out.stderr


def test_undecodable_tokens_and_odd_font_sizes_are_answered_without_a_traceback(ws: Workspace, web_server) -> None:
    server = web_server("--token", "s3cret")
    port = server.port
    assert _get(port, "/", Authorization="Bearer \xff").status == 401  # a byte that is not UTF-8
    assert _get(port, "/?token=%ff").status == 401
    assert _get(port, "/", Cookie="catalyst_web_token=\xff\xfe").status == 401
    for size in ("%C2%B2", "%D9%A3", "0", "99999999999999999999"):  # '²' and '٣' are digits to str.isdigit
        page = _get(port, f"/?fontsize={size}", Authorization="Bearer s3cret")
        assert page.status == 200, size
    server.stop()
    assert "Traceback" not in server.stderr.read_text()
