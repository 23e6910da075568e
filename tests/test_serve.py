"""`abm-tui serve`: the workbench in a real headless Chromium through the real server, the token that keeps the
network out, and the read-only session (in the browser, and with Pilot for what no key should reach)."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from textual.widgets import Static

from abm_tui.cli import main
from abm_tui.plan import edits
from abm_tui.plan.edits import Target
from abm_tui.tui.app import AbmApp
from abm_tui.tui.read_only import REFUSAL
from abm_tui.tui.screens.review import ReviewScreen
from abm_tui.tui.screens.workbench import WorkbenchScreen
from abm_tui.tui.serve import (
    COOKIE,
    HOST_REFUSED,
    ORIGIN_REFUSED,
    TOKEN_REFUSED,
    GuardedServer,
    is_loopback,
    link,
)
from abm_tui.tui.widgets.rules_tree import RulesTree
from abm_tui.userstate import autosave
from tests.pilot import settled

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\x1b[=>]|\x1b\][^\x07]*\x07")
WAIT = 180.0  # seconds a tab may take to start its workbench and draw it on a loaded 2-core machine
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason=f"{CHROMIUM} missing (.ci/run installs Debian's chromium)")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.cli
def test_a_plan_that_does_not_exist_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "serve", str(tmp_path / "nope.toml"))
    assert (code, out) == (1, "")
    assert err == f"abm-tui: {tmp_path / 'nope.toml'}: no such plan file\n"


@pytest.mark.cli
def test_a_port_in_use_is_one_line(plan_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        code, out, err = cli(capsys, "serve", str(plan_copy), "--port", str(port))
    assert (code, out) == (1, "")
    assert err == (f"abm-tui: 127.0.0.1:{port}: cannot listen: address already in use "
                   f"(another abm-tui serve? try --port {port + 1})\n")


@pytest.mark.cli
def test_a_port_out_of_range_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "serve", "--port", "70000") == (
        1, "", "abm-tui: --port: expected a whole number of at most 65,535, got 70000\n")


def test_loopback_is_this_machine_only() -> None:
    assert all(map(is_loopback, ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]")))
    assert not any(map(is_loopback, ("0.0.0.0", "::", "192.168.1.5", "planning.local", "")))


def test_the_link_names_an_address_a_colleague_can_open() -> None:
    assert link("127.0.0.1", 8000, None) == "http://127.0.0.1:8000/"
    assert link("::1", 8001, None) == "http://[::1]:8001/"
    everywhere = link("0.0.0.0", 8000, "t0k3n")
    assert everywhere.endswith(":8000/?token=t0k3n") and "0.0.0.0" not in everywhere


@pytest.mark.parametrize("token", [None, "s3cret-token"])
async def test_the_guard(token: str | None) -> None:
    """What the browser test cannot fake: another host name on loopback, another site's websocket, a cookie."""
    from aiohttp.test_utils import TestClient, TestServer

    server = GuardedServer("false", host="127.0.0.1", port=0, title="abm-tui: test", token=token)
    async with TestClient(TestServer(await server._make_app())) as client:
        elsewhere = await client.get("/ws", headers={"Origin": "http://evil.example"},
                                     params={"token": token} if token else None)
        assert (elsewhere.status, await elsewhere.text()) == (403, ORIGIN_REFUSED)
        if token is None:
            rebound = await client.get("/", headers={"Host": "evil.example:8000"})
            assert (rebound.status, await rebound.text()) == (403, HOST_REFUSED)
            page = await client.get("/")
        else:
            for params in ({}, {"token": "wrong"}, {"token": token[:-1]}):
                refused = await client.get("/", params=params)
                assert (refused.status, await refused.text()) == (403, TOKEN_REFUSED)
            page = await client.get("/", params={"token": token}, headers={"Host": "planning-laptop:8000"})
            cookie = page.cookies[COOKIE]
            assert cookie.value == token and cookie["httponly"] and cookie["samesite"] == "Strict"
            assert 'data-session-websocket-url="ws://planning-laptop:8000/ws"' in await page.text()
            script = await client.get("/static/js/textual.js")  # the page's own request: the cookie, no query
            assert script.status == 200
        assert page.status == 200


# -- read-only, with Pilot -------------------------------------------------------------------------


@pytest.mark.tui
async def test_read_only_says_so_and_takes_the_changing_keys_away(plan_copy: Path) -> None:
    before = plan_copy.read_bytes()
    app = AbmApp(plan_copy, read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settled(pilot)
        workbench = app.screen
        assert isinstance(workbench, WorkbenchScreen)
        assert app.title == "abm-tui (read-only)"
        keys = {binding.binding.action for binding in workbench.active_bindings.values()}
        assert "pivot('rows')" in keys and "movement" in keys
        assert not keys & {"save", "export", "undo", "nudge(1)", "edit", "toggle_rule"}
        tree = workbench.query_one(RulesTree)
        tree.move_to(Target("tiers", 2, "fit_score", "min"))
        await pilot.press("plus", "o", "ctrl+s", "ctrl+e")
        await settled(pilot)
        await pilot.press("enter")  # Enter on a rule edits it as `e` does: off too, no dialog opens
        await settled(pilot)
        assert app.screen is workbench
        assert workbench.state.plan == workbench.state.saved and not workbench.dirty
        await pilot.press("R")  # the review stays, without the key that writes its files
        await settled(pilot)
        review = app.screen
        assert isinstance(review, ReviewScreen)
        assert {b.binding.action for b in review.active_bindings.values()} >= {"back", "group"}
        assert "export" not in {b.binding.action for b in review.active_bindings.values()}
        assert "ctrl+e" not in str(review.query_one("#review-period", Static).render()), "no offer of a hidden key"
    assert plan_copy.read_bytes() == before and not autosave.path_for(plan_copy).exists()


@pytest.mark.tui
async def test_read_only_refuses_a_change_from_any_path(plan_copy: Path) -> None:
    """The session thread is the guarantee: a change no key asked for (here the screen's own `change`, as the
    autosave restore would) is refused there, said on the status line, and leaves no autosave."""
    app = AbmApp(plan_copy, read_only=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settled(pilot)
        workbench = app.screen
        assert isinstance(workbench, WorkbenchScreen)
        plan = workbench.state.plan
        workbench.change(edits.nudged(plan, Target("tiers", 2, "fit_score", "min"), 1, False))
        await settled(pilot)
        assert workbench.state.plan == plan
        assert workbench.message == f"refused: {REFUSAL}"
        assert not autosave.path_for(plan_copy).exists()


# -- the server and the browser --------------------------------------------------------------------


@dataclass
class Served:
    url: str
    lines: list[str]
    process: subprocess.Popen[str]

    @property
    def port(self) -> int:
        return int(re.search(r":(\d+)/", self.url).group(1))  # type: ignore[union-attr]

    @property
    def token(self) -> str | None:
        found = re.search(r"\?token=(\S+)", self.url)
        return found.group(1) if found else None


@contextmanager
def served(*args: str) -> Iterator[Served]:
    """`abm-tui serve ARGS --port 0` as a planner starts it, read until it has printed its link, then stopped."""
    process = subprocess.Popen([sys.executable, "-m", "abm_tui.cli", "serve", *args, "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3 if "--host" in args else 2)]
        found = re.search(r"http://\S+", lines[0])
        assert found, f"no link in {lines}; stderr: {process.stderr.read() if process.poll() is not None else ''}"
        yield Served(found.group(0), lines, process)
    finally:
        process.terminate()
        process.wait(timeout=30)


def children(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code


@dataclass
class Tab:
    """A page and what its workbench has drawn: the bytes its websocket received, escape codes taken out."""

    page: object
    frames: list[bytes] = field(default_factory=list)

    def text(self, since: int = 0) -> str:
        return ANSI.sub(b"", b"".join(self.frames[since:])).decode("utf-8", "replace")

    def wait_for(self, *words: str, since: int = 0) -> str:
        """Poll what was drawn until every word is in it (the page's own clock, no fixed sleep)."""
        deadline = time.monotonic() + WAIT
        while not all(word in (text := self.text(since)) for word in words):
            assert time.monotonic() < deadline, f"never drawn: {[w for w in words if w not in text]}"
            self.page.wait_for_timeout(100)  # type: ignore[attr-defined]
        return text

    def press(self, *keys: str) -> int:
        """Press `keys` in the terminal; returns the frame count before them, to read what they drew. xterm.js
        takes keys once focused, as after a click, and tells the app, which then shows its footer."""
        self.page.locator(".xterm-helper-textarea").focus()  # type: ignore[attr-defined]
        mark = len(self.frames)
        for key in keys:
            self.page.keyboard.press(key)  # type: ignore[attr-defined]
        return mark


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def tab(browser: object, url: str) -> Iterator[Tab]:
    """The link opened in a new page, with nothing fetched from outside this machine (the page asks for a font)."""
    page = browser.new_page(viewport={"width": 1600, "height": 1000})  # type: ignore[attr-defined]
    opened = Tab(page)
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: opened.frames.append(
        frame if isinstance(frame, bytes) else frame.encode())))
    try:
        page.goto(url)
        yield opened
    finally:
        page.close()


@pytest.mark.slow
@pytest.mark.cli
@needs_chromium
def test_the_network_needs_the_token_and_the_tab_is_the_workbench(plan_copy: Path, browser: object) -> None:
    with served(str(plan_copy), "--host", "0.0.0.0") as server:
        token = server.token
        assert token is not None and len(token) >= 20
        assert "requests without it are refused" in server.lines[1]
        local = f"http://127.0.0.1:{server.port}"
        assert status_of(f"{local}/") == 403
        assert status_of(f"{local}/?token=wrong") == 403
        assert status_of(f"{local}/static/js/textual.js") == 403
        with _refused(f"{local}/ws") as body:
            assert body == TOKEN_REFUSED
        assert status_of(f"{local}/?token={token}") == 200
        with tab(browser, f"{local}/?token={token}") as page:
            page.wait_for("Tier 1", "Tier 2", "Tier 3", "Not target", "3,000 accounts")
            # Down to the first fit criterion, switch it off: the matrix is recounted and the plan is changed.
            mark = page.press("ArrowDown", "ArrowDown", "o")
            page.wait_for("moved", "unsaved changes", since=mark)
            workbenches = children(server.process.pid)
            assert workbenches, "the tab's workbench is not a process of the server's"
            server.process.terminate()  # as a process manager stops it: the tab's workbench goes with it
            assert server.process.wait(timeout=60) == 0
        assert not [pid for pid in workbenches if Path(f"/proc/{pid}").exists()]
        assert autosave.path_for(plan_copy).exists()  # the tab's workbench autosaved the change


@contextmanager
def _refused(url: str) -> Iterator[str]:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=30)
    assert refused.value.code == 403
    yield refused.value.read().decode()


@pytest.mark.slow
@pytest.mark.cli
@needs_chromium
def test_read_only_in_the_browser_refuses_the_edit(plan_copy: Path, browser: object) -> None:
    before = plan_copy.read_bytes()
    with served(str(plan_copy), "--read-only") as server:
        assert server.token is None and server.url == f"http://127.0.0.1:{server.port}/"
        assert "read-only" in server.lines[0]
        with tab(browser, server.url) as page:
            page.wait_for("abm-tui (read-only)", "Tier 1", "3,000 accounts")
            # The keys that switched the criterion off above; then a pivot, which is allowed, to know they landed.
            mark = page.press("ArrowDown", "ArrowDown", "o", "r")
            drawn = page.wait_for("rows: bucket", since=mark)
            assert "unsaved changes" not in drawn and "moved" not in drawn
            mark = page.press("Tab")  # the footer shows the focused pane's keys: the matrix's pivots
            footer = page.wait_for("Rows", "Measure", since=mark)
            assert "Save" not in footer and "On/off" not in footer and "Export" not in footer
    assert plan_copy.read_bytes() == before
    assert not autosave.path_for(plan_copy).exists()
