"""The production service: poll on a cadence, serve metrics and the API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import signal
import time
from collections.abc import Callable

from aiohttp import web

from monitor.api.http import build_app, serve
from monitor.config import PollSettings
from monitor.logs import Progress
from monitor.polling.poller import CycleOutcome, Poller
from monitor.storage.store import Store
from site_map.loader import LoadedSiteMap

log = logging.getLogger("tianyan.service")


def raise_open_file_limit() -> None:
    """Thousands of cameras mean thousands of sockets: use all the fds we may."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class MonitorService:
    def __init__(self, loaded: LoadedSiteMap, database_url: str, poll: PollSettings) -> None:
        raise_open_file_limit()
        self.store = Store.open(database_url)
        self.poller = Poller(loaded, self.store, poll, progress=Progress())
        self.runner: web.AppRunner | None = None

    async def once(self) -> CycleOutcome:
        self.store.record_monitor_start(time.time())
        try:
            return await self.poller.run_cycle()
        finally:
            self.store.record_monitor_stop(time.time())

    async def start_http(self, host: str, port: int) -> web.AppRunner:
        self.runner = await serve(build_app(lambda: self.poller.snapshot), host, port)
        return self.runner

    async def run(
        self,
        host: str,
        port: int,
        stop: asyncio.Event,
        on_cycle: Callable[[CycleOutcome], None] | None = None,
    ) -> None:
        """Serve and poll until `stop` is set (SIGINT/SIGTERM set it)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        if self.runner is None:
            await self.start_http(host, port)
        self.store.record_monitor_start(time.time())
        try:
            await self.poller.run_forever(stop, on_cycle=on_cycle)
        finally:
            self.store.record_monitor_stop(time.time())

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        await self.poller.close()
        self.store.close()
