"""Serves every simulated NVR on its loopback host:port, one small web app each.

The protocol modules build the app (`application(nvr, digest)`); this module
adds what every kind shares — the `offline`, `hang` and `slow` faults — and
binds, unbinds and rebinds the listeners as faults change. A campus has tens
of recorders, not thousands, so one aiohttp application each is cheap.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import socket
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import Protocol

from aiohttp import web

from monitor.simulator.digest import DigestAuthority
from monitor.simulator.errors import SimulatorStartError
from monitor.simulator.faults import HEALTHY, Fault
from monitor.simulator.nvr.recorder import SimulatedNvr

# The protocol module serving each kind (imported on first use).
PROTOCOLS: dict[str, str] = {
    "onvif": "monitor.simulator.nvr.onvif",
    "hikvision": "monitor.simulator.nvr.hikvision",
    "dahua": "monitor.simulator.nvr.dahua",
}
LISTEN_BACKLOG = 64
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApplicationFactory(Protocol):
    def __call__(self, nvr: SimulatedNvr, digest: DigestAuthority) -> web.Application: ...


def application_for(kind: str) -> ApplicationFactory:
    module = importlib.import_module(PROTOCOLS[kind])
    factory: ApplicationFactory = module.application
    return factory


class NvrSimulator:
    """Serves `nvrs` (by id) until stopped. Use from one event loop."""

    def __init__(self, nvrs: Mapping[str, SimulatedNvr], digest: DigestAuthority | None = None):
        self._nvrs = dict(nvrs)
        self.nvrs: Mapping[str, SimulatedNvr] = MappingProxyType(self._nvrs)
        self._digest = digest or DigestAuthority()
        self._runners: dict[str, web.AppRunner] = {}
        self._stopping = asyncio.Event()
        self._running = False

    async def start(self) -> None:
        if self._running:
            return
        self._running = True
        self._stopping.clear()
        try:
            for nvr in self._nvrs.values():
                if not nvr.fault.offline:
                    await self._serve(nvr)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        self._stopping.set()
        runners = list(self._runners.values())
        self._runners.clear()
        for runner in runners:
            await runner.cleanup()

    async def set_fault(self, nvr_id: str, fault: Fault | None) -> None:
        """Change an NVR's fault now; `offline` stops its listener, clearing it listens again."""
        nvr = self._nvrs.get(nvr_id)
        if nvr is None:
            raise KeyError(f"no simulated NVR '{nvr_id}'")
        new = fault if fault is not None else HEALTHY
        old, nvr.fault = nvr.fault, new
        if not self._running:
            return
        if new.offline and not old.offline:
            runner = self._runners.pop(nvr_id, None)
            if runner is not None:
                await runner.cleanup()
        elif old.offline and not new.offline:
            await self._serve(nvr)

    def _fault_middleware(self, nvr: SimulatedNvr) -> Callable[..., Awaitable[web.StreamResponse]]:
        stopping = self._stopping

        @web.middleware
        async def faults(request: web.Request, handler: Handler) -> web.StreamResponse:
            fault = nvr.fault
            if fault.slow:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(fault.slow):
                        await stopping.wait()
            if fault.hang or stopping.is_set():
                await stopping.wait()
                if request.transport is not None:
                    request.transport.abort()
                await asyncio.Future()  # aiohttp cancels the handler with the connection
            response = await handler(request)
            response.headers.setdefault("Server", nvr.model[0])
            return response

        return faults

    async def _serve(self, nvr: SimulatedNvr) -> None:
        app = application_for(nvr.kind)(nvr, self._digest)
        app.middlewares.insert(0, self._fault_middleware(nvr))
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((nvr.host, nvr.port))
            sock.listen(LISTEN_BACKLOG)
            sock.setblocking(False)
            await web.SockSite(runner, sock).start()
        except OSError as exc:
            sock.close()
            await runner.cleanup()
            raise SimulatorStartError(
                f"NVR '{nvr.id}': cannot listen on {nvr.host}:{nvr.port}: {exc.strerror or exc}"
            ) from None
        self._runners[nvr.id] = runner
