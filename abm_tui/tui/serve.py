"""The workbench in a browser (`abm-tui serve`): textual-serve's web server, with a guard in front of it.

textual-serve starts one workbench process per browser tab (each viewer has a session of their own: one
colleague's pivot never moves another's matrix) and relays its screen to xterm.js in the page. What it leaves
to its user, and this module adds:

- a token when the address is not loopback: anyone on the network could otherwise open the plan. Every request
  must carry the token printed once, in the link's query; the page's own requests (its script, its websocket)
  do not carry the query, so the first answer leaves the token in a cookie that only this site is sent;
- on loopback, requests for another host name are refused (a page elsewhere whose name was pointed at
  127.0.0.1 cannot reach the workbench), and everywhere the websocket must come from the page's own origin, so
  another site open in the planner's browser cannot drive it;
- the page's links built from the address the browser used, not the one bound (0.0.0.0 is nobody's address);
- the port bound before the link is printed, so a port in use is one line, not a traceback, and no access log
  or logo on the console: the link is the one thing to read there.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import os
import secrets
import signal
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from textual_serve.server import Server

from abm_tui.errors import AbmError

COOKIE = "abm_tui_token"
TOKEN_REFUSED = ("abm-tui serve: this session needs its token: open the link abm-tui serve printed when it "
                 "started (it ends in ?token=...)")
HOST_REFUSED = "abm-tui serve: listening on loopback; open it as http://127.0.0.1 or http://localhost"
ORIGIN_REFUSED = "abm-tui serve: the workbench opens only from its own page"
EVERYWHERE = ("0.0.0.0", "::", "")  # bind every interface: the link names the machine's own address instead

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    """Only this machine can connect to `host` (a name other than localhost may resolve anywhere)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(16)


def link(host: str, port: int, token: str | None) -> str:
    """The address to open: the machine's own when bound everywhere, with the token when there is one."""
    shown = own_address() if host in EVERYWHERE else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def own_address() -> str:
    """The address colleagues reach this machine at: the one its outgoing traffic leaves from (a UDP socket is
    only pointed at an outside address, nothing is sent), else its host name."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere, only used to pick the interface
            return str(probe.getsockname()[0])
        except OSError:
            return socket.gethostname()


def cannot_listen(host: str, port: int, err: OSError) -> str:
    """A bind that failed, in one line: asyncio words it with the address tuple, the errno alone says it."""
    reason = os.strerror(err.errno) if err.errno and err.errno > 0 else (err.strerror or str(err))
    hint = f" (another abm-tui serve? try --port {port + 1})" if err.errno == errno.EADDRINUSE else ""
    return f"{host}:{port}: cannot listen: {reason.lower()}{hint}"


def _same(given: str | None, token: str) -> bool:
    return given is not None and secrets.compare_digest(given.encode(), token.encode())


class GuardedServer(Server):
    """textual-serve's server with the token, host and origin checks, and the page built for its caller."""

    def __init__(self, command: str, *, host: str, port: int, title: str, token: str | None) -> None:
        super().__init__(command, host=host, port=port, title=title)
        self.token = token
        self.tabs: set[asyncio.Task[object]] = set()

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.guard)
        return app

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse a request without the token (or, on loopback, for another host name), and a websocket from
        another origin; the page opened with the token in its link leaves it in a cookie."""
        if self.token is None and not is_loopback(request.url.host or ""):
            raise web.HTTPForbidden(text=HOST_REFUSED)
        if self.token is not None and not (_same(request.query.get("token"), self.token)
                                           or _same(request.cookies.get(COOKIE), self.token)):
            raise web.HTTPForbidden(text=TOKEN_REFUSED)
        if request.path == "/ws":
            origin = request.headers.get("Origin")
            if origin is not None and origin != f"{request.scheme}://{request.host}":
                raise web.HTTPForbidden(text=ORIGIN_REFUSED)
            return await self.tab(request, handler)
        response = await handler(request)
        if self.token is not None and "token" in request.query and not response.prepared:
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="Strict")
        return response

    async def tab(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """A tab's websocket, open as long as its workbench runs: remembered so that stopping stops it."""
        task = asyncio.current_task()
        assert task is not None
        self.tabs.add(task)
        try:
            return await handler(request)
        finally:
            self.tabs.discard(task)

    async def on_shutdown(self, app: web.Application) -> None:
        """Every open tab's workbench quits before the server does: textual-serve asks a workbench to quit when
        its websocket's handler ends, so each is cancelled and waited for; without it they outlived the server."""
        for task in self.tabs:
            task.cancel()
        await asyncio.gather(*self.tabs, return_exceptions=True)

    async def handle_index(self, request: web.Request) -> Any:
        """The page, its script and its websocket addressed as the browser reached the server. textual-serve
        reads `public_url` while building this page, with no await in between, so no other request sees it."""
        self.public_url = f"{request.scheme}://{request.host}"
        return await super().handle_index(request)

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints a logo and the bound address here; `serve` prints the link to open instead."""


def serve(command: str, *, title: str, host: str, port: int, token: str | None,
          listening: Callable[[int], None]) -> None:
    """Serve `command` (run once per browser tab) until ctrl+c or SIGTERM; `listening(port)` once bound (port 0
    picks a free one)."""
    asyncio.run(_serve(GuardedServer(command, host=host, port=port, title=title, token=token), listening))


async def _serve(server: GuardedServer, listening: Callable[[int], None]) -> None:
    runner = web.AppRunner(await server._make_app(), access_log=None)
    await runner.setup()
    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError):  # Windows has no signal handlers on the loop: ctrl+c still stops
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        try:
            await web.TCPSite(runner, server.host or None, server.port).start()
        except OSError as err:
            raise AbmError(cannot_listen(server.host, server.port, err)) from err
        listening(int(runner.addresses[0][1]))
        await stop.wait()
    finally:
        await runner.cleanup()
