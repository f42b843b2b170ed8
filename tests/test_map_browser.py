"""/map in a real headless Chromium, driven over the DevTools protocol.

The monitor's app serves a small simulated campus (a snapshot built directly,
no probing) on a loopback port; Chromium loads /map, the page fetches the SVG
and puts it inline, and the test reads the DOM, every console error and
uncaught exception, and takes a screenshot. The screenshot is written to the
test's tmp directory and, when TIANYAN_TEST_ARTIFACTS is set, to
test-artifacts/map.png at the repository root (CI keeps it).

Chromium is told to resolve no host but loopback, and its background
networking is off: the test talks to nothing but 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from monitor.api.http import bound_port, build_app, serve
from monitor.api.map_routes import add_map_routes
from tests import stack
from tests.test_map import EXPECTED_CAMERA, EXPECTED_STATUS, monitor_snapshot

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS_ENV = "TIANYAN_TEST_ARTIFACTS"
STARTUP_SECONDS = 15.0
STEP_SECONDS = 10.0


class DevTools:
    """A minimal DevTools-protocol client for one page: commands and collected events."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._event_arrived = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.socket:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            if "id" in data:
                future = self._waiting.pop(data["id"], None)
                if future is not None and not future.done():
                    future.set_result(data)
            else:
                self.events.append(data)
                self._event_arrived.set()
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(ConnectionError("DevTools connection closed"))

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[call_id] = future
        await self.socket.send_json({"id": call_id, "method": method, "params": params})
        answer = await asyncio.wait_for(future, STEP_SECONDS)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for_event(self, method: str, after: int = 0) -> dict[str, Any]:
        deadline = time.monotonic() + STEP_SECONDS
        while True:
            for event in self.events[after:]:
                if event.get("method") == method:
                    return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {method} in {STEP_SECONDS} s")
            self._event_arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event_arrived.wait(), remaining)

    async def wait_until(self, expression: str) -> Any:
        deadline = time.monotonic() + STEP_SECONDS
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"{expression} still false after {STEP_SECONDS} s")
            await asyncio.sleep(0.05)

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors, as readable lines."""
        found: list[str] = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                args = [a.get("value", a.get("description")) for a in params.get("args", [])]
                found.append(f"console.{params['type']}: {args}")
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                description = details.get("exception", {}).get("description")
                found.append(f"exception: {description or details.get('text')}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                found.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url')}")
        return found

    async def close(self) -> None:
        await self.socket.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


async def _devtools_port(user_data: Path, process: asyncio.subprocess.Process, log: Path) -> int:
    """The port Chromium chose, from DevToolsActivePort in its profile directory."""
    marker = user_data / "DevToolsActivePort"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"chromium exited: {log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError, ValueError):
            lines = marker.read_text().splitlines()
            if len(lines) >= 2:  # both lines written: the port is complete
                return int(lines[0])
        await asyncio.sleep(0.05)
    raise TimeoutError(f"chromium wrote no {marker.name} in {STARTUP_SECONDS} s")


@contextlib.asynccontextmanager
async def chromium(tmp_path: Path) -> AsyncIterator[int]:
    """A headless Chromium with DevTools on a loopback port; always killed at the end."""
    binary = stack.require("chromium")
    user_data = tmp_path / "chromium-profile"
    user_data.mkdir()
    log = tmp_path / "chromium.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            binary,
            "--headless=new",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={user_data}",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            # Nothing but loopback resolves: a page reaching out would fail loudly.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--window-size=1400,1000",
            "about:blank",
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
            # Its own process group: the wrapper script, the browser and its
            # renderers are ended together, by this group's id.
            start_new_session=True,
        )
    try:
        yield await _devtools_port(user_data, process, log)
    finally:
        # The browser first, so that it ends and reaps its own renderers; then
        # whatever is left of its process group.
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), 5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()


@contextlib.asynccontextmanager
async def page(http: aiohttp.ClientSession, port: int) -> AsyncIterator[DevTools]:
    """The DevTools connection to Chromium's first page, with its event domains on."""
    async with http.get(f"http://127.0.0.1:{port}/json/list") as answer:
        targets = await answer.json()
    target = next(t for t in targets if t.get("type") == "page")
    socket = await http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=64 * 2**20)
    devtools = DevTools(socket)
    try:
        for domain in ("Runtime", "Log", "Page"):
            await devtools.send(f"{domain}.enable")
        yield devtools
    finally:
        await devtools.close()


async def navigate(devtools: DevTools, url: str) -> None:
    mark = len(devtools.events)
    await devtools.send("Page.navigate", url=url)
    await devtools.wait_for_event("Page.loadEventFired", after=mark)


COUNTS = """JSON.stringify({
  covered: document.querySelectorAll("#map .site.covered").length,
  underCovered: document.querySelectorAll("#map .site.under-covered").length,
  unwatched: document.querySelectorAll("#map .site.unwatched").length,
  notLocated: document.querySelectorAll("#map .site.not-located").length,
  cameras: document.querySelectorAll("#map [id^='camera-']").length,
  offline: Array.from(document.querySelectorAll("#map [id^='camera-'].offline"))
    .map(function (e) { return e.id; }).sort(),
  shown: document.querySelector("#map svg").getAttribute("data-shown"),
  options: Array.from(document.querySelectorAll("#campus option"))
    .map(function (o) { return o.value; }),
  badges: ["covered", "under-covered", "unwatched", "offline"]
    .map(function (s) { return document.getElementById("count-" + s).textContent; }),
  updated: document.getElementById("updated").textContent,
  width: document.querySelector("#map svg").getBoundingClientRect().width
})"""


def _save_screenshot(data: str, tmp_path: Path) -> Path:
    png = base64.b64decode(data)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    shot = tmp_path / "map.png"
    shot.write_bytes(png)
    if os.environ.get(ARTIFACTS_ENV):
        artifacts = REPO_ROOT / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        (artifacts / "map.png").write_bytes(png)
    return shot


@pytest.mark.slow
async def test_map_page_in_headless_chromium(tmp_path: Path) -> None:
    snapshot = monitor_snapshot()
    app = build_app(lambda: snapshot)
    add_map_routes(app)
    runner = await serve(app, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{bound_port(runner)}"
    try:
        async with (
            chromium(tmp_path) as devtools_port,
            aiohttp.ClientSession() as http,
            page(http, devtools_port) as devtools,
        ):
            await navigate(devtools, f"{base}/map")
            await devtools.wait_until(
                "document.getElementById('map').getAttribute('data-state') === 'ready'"
            )
            seen = json.loads(await devtools.evaluate(COUNTS))

            statuses = list(EXPECTED_STATUS.values())
            assert seen["covered"] == statuses.count("covered") == 2
            assert seen["underCovered"] == statuses.count("under-covered") == 1
            assert seen["unwatched"] == statuses.count("unwatched") == 3
            assert seen["notLocated"] == 2
            assert seen["cameras"] == len(EXPECTED_CAMERA)
            assert seen["offline"] == ["camera-cam-3", "camera-cam-6"]
            assert seen["badges"] == ["2", "1", "3", "2"]
            assert seen["shown"] == "east west"
            assert seen["options"] == ["", "east", "west"]
            assert seen["updated"] not in ("", "–")
            assert seen["width"] > 0
            assert await devtools.evaluate("document.title") == (
                "Test University — 预警一张图 campus map"
            )

            shot = await devtools.send("Page.captureScreenshot", format="png")
            saved = _save_screenshot(shot["data"], tmp_path)
            assert saved.stat().st_size > 10_000

            # Choosing a campus redraws that campus alone and keeps it in the address.
            await devtools.evaluate(
                "(function () { var s = document.getElementById('campus');"
                " s.value = 'west'; s.dispatchEvent(new Event('change')); })()"
            )
            await devtools.wait_until(
                "(document.querySelector('#map svg') || {getAttribute: function () {}})"
                ".getAttribute('data-shown') === 'west'"
            )
            west = json.loads(await devtools.evaluate(COUNTS))
            assert (west["covered"], west["underCovered"], west["unwatched"]) == (1, 1, 1)
            assert west["offline"] == ["camera-cam-6"]
            assert await devtools.evaluate("location.search") == "?campus=west"

            assert devtools.errors() == []

            # An unknown campus: the server's message on the page, no script error.
            mark = len(devtools.events)
            await navigate(devtools, f"{base}/map?campus=moon")
            await devtools.wait_until(
                "document.getElementById('map').getAttribute('data-state') === 'error'"
            )
            message = await devtools.evaluate("document.getElementById('message').textContent")
            assert "unknown campus 'moon'" in message
            later = devtools.events[mark:]
            assert not [e for e in later if e.get("method") == "Runtime.exceptionThrown"]
    finally:
        await runner.cleanup()


@pytest.mark.slow
async def test_html_report_in_headless_chromium(tmp_path: Path) -> None:
    """The assessors' HTML report, opened as a file: no console error, every section,
    the embedded campus map drawn, a screenshot."""
    from monitor.config import load_config
    from monitor.reports.render_html import report_to_html
    from site_map.loader import load_site_map
    from tests.test_period_report import ENV, store_period, write_campus
    from tests.test_period_report import build as build_report
    from tests.test_report_render import SECTIONS

    config = load_config(write_campus(tmp_path))
    store_period(config.database_url)
    report = build_report((config, load_site_map(config.site_map_path, environ=ENV)))
    page_file = tmp_path / "report.html"
    page_file.write_text(report_to_html(report), encoding="utf-8")
    async with (
        chromium(tmp_path) as devtools_port,
        aiohttp.ClientSession() as http,
        page(http, devtools_port) as devtools,
    ):
        await navigate(devtools, page_file.as_uri())
        found = json.loads(
            await devtools.evaluate(
                "JSON.stringify({sections: Array.from(document.querySelectorAll('section'))"
                ".map(function (s) { return s.id; }),"
                " sites: document.querySelectorAll('svg [id^=\"site-\"]').length,"
                " height: document.body.scrollHeight})"
            )
        )
        assert set(SECTIONS) <= set(found["sections"])
        assert found["sites"] > 0  # the campus map is drawn inside the report
        assert found["height"] > 1000
        shot = await devtools.send("Page.captureScreenshot", format="png")
        png = base64.b64decode(shot["data"])
        assert png.startswith(b"\x89PNG")
        (tmp_path / "report.png").write_bytes(png)
        if os.environ.get(ARTIFACTS_ENV):
            (REPO_ROOT / "test-artifacts").mkdir(exist_ok=True)
            (REPO_ROOT / "test-artifacts" / "report.png").write_bytes(png)
        assert devtools.errors() == []
