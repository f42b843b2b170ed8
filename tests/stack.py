"""A real Prometheus and Alertmanager (Debian's packages) on loopback ports, for tests.

`prometheus(...)` and `alertmanager(...)` start the server with a config the
test writes, wait until it is ready, and stop it at the end; `WebhookReceiver`
is an HTTP endpoint on loopback that records every Alertmanager notification.
Tests that need them are skipped with the reason when the binaries are
missing outside CI, and fail in CI (where .ci/run installs them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from tests.campus import free_port

PROMETHEUS = "prometheus"
# Debian names the binary prometheus-alertmanager; upstream, alertmanager.
ALERTMANAGER = (
    "prometheus-alertmanager" if shutil.which("prometheus-alertmanager") else "alertmanager"
)
PROMTOOL = "promtool"
AMTOOL = "amtool"


def require(binary: str) -> str:
    """The binary's path; the test is skipped (failed in CI) when it is missing."""
    path = shutil.which(binary)
    if path is None:
        message = f"{binary} is not installed (install its Debian package)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited: {log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as answer:
            if answer.status == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(
        f"{url} not ready after {timeout} s: {log.read_text(errors='replace')[-2000:]}"
    )


@dataclass
class Server:
    url: str
    port: int
    directory: Path
    process: subprocess.Popen[bytes]

    def get(self, path: str, **params: str) -> Any:
        query = "&".join(f"{k}={urllib.parse.quote(v)}" for k, v in params.items())
        with urllib.request.urlopen(f"{self.url}{path}{'?' + query if query else ''}") as r:
            return json.loads(r.read())


@contextlib.contextmanager
def _run(cmd: list[str], ready: str, directory: Path, port: int) -> Iterator[Server]:
    log = directory / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=directory)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url + ready, process, log, timeout=30)
        yield Server(url, port, directory, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def prometheus(config: dict[str, Any], rule_files: list[Path] | None = None) -> Iterator[Server]:
    """Prometheus with `config` (rule files copied beside it and listed in it)."""
    binary = require(PROMETHEUS)
    with tempfile.TemporaryDirectory(prefix="tianyan-prometheus-") as tmp:
        directory = Path(tmp)
        names = []
        for rule in rule_files or []:
            shutil.copy(rule, directory / rule.name)
            names.append(rule.name)
        config = dict(config, rule_files=names) if names else config
        (directory / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        port = free_port()
        cmd = [
            binary,
            f"--config.file={directory / 'prometheus.yml'}",
            f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-lifecycle",
            # Alerts are sent again this often while they fire (default 1m): the
            # first evaluation can come before Alertmanager is discovered, and a
            # test must not wait a minute for the second sending.
            "--rules.alert.resend-delay=1s",
        ]
        with _run(cmd, "/-/ready", directory, port) as server:
            yield server


@contextlib.contextmanager
def alertmanager(config: dict[str, Any] | str) -> Iterator[Server]:
    """Alertmanager with `config` (a mapping, or YAML text), clustering off."""
    binary = require(ALERTMANAGER)
    with tempfile.TemporaryDirectory(prefix="tianyan-alertmanager-") as tmp:
        directory = Path(tmp)
        text = config if isinstance(config, str) else yaml.safe_dump(config)
        (directory / "alertmanager.yml").write_text(text, encoding="utf-8")
        port = free_port()
        cmd = [
            binary,
            f"--config.file={directory / 'alertmanager.yml'}",
            f"--storage.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ]
        with _run(cmd, "/-/ready", directory, port) as server:
            yield server


@dataclass
class WebhookReceiver:
    """Records Alertmanager's webhook notifications (run in the test's event loop)."""

    port: int = 0
    notifications: list[dict[str, Any]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/alerts"

    async def start(self) -> None:
        async def receive(request: web.Request) -> web.Response:
            self.notifications.append(await request.json())
            self._arrived.set()
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_post("/alerts", receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def alerts(self, status: str | None = None) -> list[dict[str, Any]]:
        """Every alert of every notification so far (optionally only firing/resolved)."""
        return [
            alert
            for n in self.notifications
            for alert in n.get("alerts", [])
            if status is None or alert.get("status") == status
        ]

    async def wait_for(self, predicate: Any, timeout: float) -> list[dict[str, Any]]:
        """Wait until predicate(notifications) is true; returns the notifications."""
        end = time.monotonic() + timeout
        while not predicate(self.notifications):
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching notification in {timeout} s: {self.notifications}")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(remaining, 1.0))
        return self.notifications
