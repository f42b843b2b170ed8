"""The production service: poll on a cadence, serve metrics and the API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import signal
import time
from collections.abc import Callable, Mapping, Sequence

from aiohttp import web

from monitor.api.http import build_app, serve
from monitor.api.report_routes import ReportContext
from monitor.config import PollSettings, RecordingSettings, ResolvedConfig
from monitor.history.availability import AvailabilityReport
from monitor.history.maintenance import MaintenanceWindow
from monitor.history.query import HistoryReader
from monitor.logs import Progress
from monitor.polling.poller import CycleOutcome, Poller
from monitor.quality.thresholds import QualityConfig
from monitor.recordings.poller import RecordingPoller
from monitor.recordings.snapshot import RecordingSnapshot
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


# Availability over 24 h / 7 d / 30 d changes slowly; recomputing it more
# often than this would only cost CPU the probes need.
AVAILABILITY_REFRESH_SECONDS = 300.0


class MonitorService:
    def __init__(
        self,
        loaded: LoadedSiteMap,
        database_url: str,
        poll: PollSettings,
        maintenance: Sequence[MaintenanceWindow] = (),
        quality: QualityConfig | None = None,
        recordings: RecordingSettings | None = None,
        config: ResolvedConfig | None = None,
    ) -> None:
        raise_open_file_limit()
        self.loaded = loaded
        # The whole config, when the service was built from one: the period
        # report (/api/report) needs its settings.
        self.config = config
        self.store = Store.open(database_url)
        recordings = recordings or RecordingSettings()
        # The storage pass over the NVRs, when the site map has any.
        self.recorders: RecordingPoller | None = (
            RecordingPoller(loaded, self.store, recordings)
            if recordings.enabled and loaded.site_map.nvrs
            else None
        )
        recorders = self.recorders
        self.poller = Poller(
            loaded,
            self.store,
            poll,
            progress=Progress(),
            quality=quality,
            recordings=(lambda: recorders.snapshot) if recorders is not None else None,
        )
        self.history = HistoryReader(
            self.store,
            loaded.site_map,
            maintenance,
            poll_interval=poll.interval_seconds,
            inside_monitor=True,
        )
        self.availability: Mapping[str, AvailabilityReport] = {}
        self._refresh: asyncio.Task[None] | None = None
        self._refreshed_at: float | None = None
        self.runner: web.AppRunner | None = None

    @classmethod
    def from_config(cls, loaded: LoadedSiteMap, config: ResolvedConfig) -> MonitorService:
        """The service as a config file describes it."""
        return cls(
            loaded,
            config.database_url,
            config.poll,
            config.maintenance,
            config.quality,
            config.recordings,
            config=config,
        )

    async def refresh_availability(self) -> None:
        try:
            self.availability = await asyncio.to_thread(self.history.standard_windows)
        except Exception:
            log.exception("computing availability failed; the last figures stay exported")

    def _refresh_when_due(self) -> None:
        """After a cycle: recompute availability in the background if it is due."""
        due = (
            self._refreshed_at is None
            or time.monotonic() - self._refreshed_at >= AVAILABILITY_REFRESH_SECONDS
        )
        if due and (self._refresh is None or self._refresh.done()):
            self._refreshed_at = time.monotonic()
            self._refresh = asyncio.create_task(self.refresh_availability())

    async def once(self) -> CycleOutcome:
        """One camera cycle and one storage pass, side by side; then the snapshot has both."""
        self.store.record_monitor_start(time.time())
        try:
            if self.recorders is None:
                return await self.poller.run_cycle()
            outcome, _ = await asyncio.gather(self.poller.run_cycle(), self.recorders.run_pass())
            self.poller.refresh_snapshot()
            return outcome
        finally:
            self.store.record_monitor_stop(time.time())

    async def start_http(self, host: str, port: int) -> web.AppRunner:
        report = ReportContext(self.loaded, self.config) if self.config is not None else None
        app = build_app(
            lambda: self.poller.snapshot, self.history, lambda: self.availability, report=report
        )
        self.runner = await serve(app, host, port)
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

        def after_cycle(outcome: CycleOutcome) -> None:
            self._refresh_when_due()
            if on_cycle is not None:
                on_cycle(outcome)

        def after_pass(_: RecordingSnapshot) -> None:
            self.poller.refresh_snapshot()

        try:
            loops = [self.poller.run_forever(stop, on_cycle=after_cycle)]
            if self.recorders is not None:
                loops.append(self.recorders.run_forever(stop, on_pass=after_pass))
            await asyncio.gather(*loops)
        finally:
            if self._refresh is not None:
                await self._refresh
            self.store.record_monitor_stop(time.time())

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        await self.poller.close()
        if self.recorders is not None:
            await self.recorders.close()
        self.store.close()
