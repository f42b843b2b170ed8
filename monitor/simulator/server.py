"""The simulator: every camera of a site map served as an ONVIF device on loopback.

Each camera listens on its configured ``onvif.host:onvif.port``, which must be
in 127.0.0.0/8: the simulator never binds anything else. All listening sockets
share one HTTP request handler (see `http_server`), so 10,000 cameras cost
10,000 sockets and a few small objects each, not 10,000 web applications.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import resource
import signal
import socket
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

from aiohttp import web

from monitor.simulator.device import SimulatedDevice
from monitor.simulator.discovery import DiscoveryResponder
from monitor.simulator.errors import SimulatorRefused, SimulatorStartError
from monitor.simulator.faults import HEALTHY, Fault, FaultError, load_faults
from monitor.simulator.http_server import DeviceRequestHandler
from monitor.simulator.nvr.recorder import SimulatedChannel, SimulatedNvr, local_zone
from monitor.simulator.nvr.server import NvrSimulator
from monitor.simulator.scene import SnapshotRenderer, scene_for, sub_stream_renderer
from site_map.credentials import CredentialError, resolve_password
from site_map.model import SiteMap

log = logging.getLogger(__name__)

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
LISTEN_BACKLOG = 128
# Open files the process needs besides one listening socket per camera.
SPARE_FILES = 256


def _loopback_host(device_id: str, host: str, what: str = "camera") -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or address.version != 4 or address not in LOOPBACK:
        raise SimulatorRefused(
            f"{what} '{device_id}': host {host} is not a loopback address; "
            "the simulator only serves 127.0.0.0/8"
        )
    return str(address)


def raise_open_file_limit(needed: int) -> int:
    """Raise RLIMIT_NOFILE's soft limit to the hard limit; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, needed)
    if soft != resource.RLIM_INFINITY and target > soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    return soft


class Simulator:
    """Serves `devices` (by camera id) until stopped. Use from one event loop."""

    def __init__(
        self,
        devices: Mapping[str, SimulatedDevice],
        *,
        renderer: SnapshotRenderer | None = None,
        discovery: bool = False,
        nvrs: Mapping[str, SimulatedNvr] | None = None,
    ) -> None:
        self._devices: dict[str, SimulatedDevice] = dict(devices)
        self.recorders = NvrSimulator(nvrs or {})
        # Where each camera is recorded: a camera that stops sending leaves a gap there.
        self._recorded_at: dict[str, tuple[SimulatedNvr, int]] = {
            channel.camera_id: (nvr, channel.number)
            for nvr in (nvrs or {}).values()
            for channel in nvr.channels.values()
        }
        for camera_id, device in self._devices.items():
            self._note_recording(camera_id, device.fault)
        self.devices: Mapping[str, SimulatedDevice] = MappingProxyType(self._devices)
        self._by_address: dict[tuple[str, int], SimulatedDevice] = {}
        for device in self._devices.values():
            self._by_address[(device.host, device.port)] = device
        self._renderer = renderer or SnapshotRenderer()
        self._sub_renderer = sub_stream_renderer()
        self._handler: DeviceRequestHandler | None = None
        self._http: web.Server | None = None
        self._servers: dict[str, asyncio.Server] = {}
        # Listeners being attached to the loop again after an offline fault. Such a
        # task always runs to its end and then checks whether it is still wanted.
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._running = False
        # WS-Discovery answers cost one UDP socket per camera host: on only when asked.
        self.discovery: DiscoveryResponder | None = (
            DiscoveryResponder(self.devices) if discovery else None
        )

    @property
    def running(self) -> bool:
        return self._running

    def device_at(self, host: str, port: int) -> SimulatedDevice | None:
        return self._by_address.get((host, port))

    def faults(self) -> dict[str, Fault]:
        """The devices that currently carry a fault."""
        return {cid: d.fault for cid, d in self._devices.items() if d.fault.active}

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        """Listen on every device's address (except offline ones). Takes seconds for 10k."""
        if self._running:
            return
        hosts = len({d.host for d in self._devices.values()}) if self.discovery else 0
        needed = len(self._devices) + hosts + SPARE_FILES
        limit = raise_open_file_limit(needed)
        if limit != resource.RLIM_INFINITY and limit < needed:
            raise SimulatorStartError(
                f"{len(self._devices)} cameras need about {needed} open files but the limit "
                f"is {limit}; raise it (ulimit -n) and try again"
            )
        self._handler = DeviceRequestHandler(
            self.device_at, renderer=self._renderer, sub_renderer=self._sub_renderer
        )
        self._http = self._handler.make_server()
        self._running = True
        try:
            for device in self._devices.values():
                cid = device.camera_id
                # set_fault may run while this loop awaits: skip what it already did.
                if device.fault.offline or cid in self._servers or cid in self._pending:
                    continue
                await self._serve(device, self._bind(device))
            if self.discovery is not None:
                self.discovery.start()
            await self.recorders.start()
        except BaseException:
            await self.stop()
            raise

    async def warm_up(self) -> None:
        """Render every camera's picture once, so that the first snapshots answer at once.

        The sub-stream's pictures are the ones the monitor fetches. A picture
        is rendered on its first request otherwise (tenths of a
        second each, in one worker thread): a campus's first poll would see
        hundreds of them queue up and its probes miss their deadlines.
        """
        for device in self._devices.values():
            fault = device.fault
            if fault.offline:
                continue
            await self._sub_renderer.render_async(
                device.camera_id,
                device.scene,
                device_time=device.reported_clock(),
                video_fault=fault.video,
                strength=fault.video_strength,
                clock_running=fault.video_clock_running,
            )

    async def stop(self) -> None:
        """Close every listener and connection; hung requests are dropped."""
        if not self._running:
            return
        self._running = False
        await self.recorders.stop()
        if self.discovery is not None:
            self.discovery.stop()
        # Pending listeners see that the simulator stopped and close themselves.
        await asyncio.gather(*self._pending.values(), return_exceptions=True)
        self._pending.clear()
        servers = list(self._servers.values())
        self._servers.clear()
        for server in servers:
            server.close()
        if self._handler is not None:
            self._handler.release_hung()
        if self._http is not None:
            await self._http.shutdown(timeout=1.0)
        for server in servers:
            await server.wait_closed()
        self._http = None
        self._handler = None

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- faults at run time -------------------------------------------------------------
    def set_fault(self, device_id: str, fault: Fault | None) -> None:
        """Change a device's fault now (call from the simulator's event loop).

        ``offline`` closes the device's listening socket and its connections;
        clearing it binds the address again before returning. Changing ``hang``
        drops the device's open connections (as a reboot would).
        """
        device = self._devices.get(device_id)
        if device is None:
            raise KeyError(f"no simulated camera '{device_id}'")
        new = fault if fault is not None else HEALTHY
        old = device.fault
        device.fault = new
        self._note_recording(device_id, new)
        if not self._running:
            return
        if new.offline and not old.offline:
            self._close_listener(device_id)
            self._drop_connections(device)
        elif old.offline and not new.offline and device_id not in self._pending:
            # Bound synchronously: connections queue from now on, none is refused.
            sock = self._bind(device)
            task = asyncio.get_running_loop().create_task(self._serve(device, sock))
            self._pending[device_id] = task
            task.add_done_callback(lambda done: self._pending_done(device_id, done))
        elif new.hang != old.hang:
            self._drop_connections(device)

    def _note_recording(self, camera_id: str, fault: Fault) -> None:
        recorded = self._recorded_at.get(camera_id)
        if recorded is not None:
            nvr, channel = recorded
            nvr.camera_down(channel, fault.offline or fault.hang)

    async def set_nvr_fault(self, nvr_id: str, fault: Fault | None) -> None:
        """Change a simulated NVR's fault now (``offline`` closes its listener)."""
        await self.recorders.set_fault(nvr_id, fault)

    # -- sockets ------------------------------------------------------------------------
    def _bind(self, device: SimulatedDevice) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((device.host, device.port))
            sock.listen(LISTEN_BACKLOG)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise SimulatorStartError(
                f"camera '{device.camera_id}': cannot listen on {device.host}:{device.port}: "
                f"{exc.strerror or exc}"
            ) from None
        return sock

    async def _serve(self, device: SimulatedDevice, sock: socket.socket) -> None:
        assert self._http is not None
        loop = asyncio.get_running_loop()
        try:
            server = await loop.create_server(self._http, sock=sock, backlog=LISTEN_BACKLOG)
        except BaseException:
            sock.close()
            raise
        if not self._running or device.fault.offline:  # stopped or offline meanwhile
            server.close()
            return
        self._servers[device.camera_id] = server

    def _pending_done(self, device_id: str, task: asyncio.Task[None]) -> None:
        if self._pending.get(device_id) is task:
            del self._pending[device_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("camera '%s': cannot serve again: %s", device_id, task.exception())

    def _close_listener(self, device_id: str) -> None:
        # A pending listener (back from offline a moment ago) closes itself when
        # its task runs and finds the device offline again.
        server = self._servers.pop(device_id, None)
        if server is not None:
            server.close()

    def _drop_connections(self, device: SimulatedDevice) -> None:
        if self._http is None:
            return
        for connection in self._http.connections:
            transport = connection.transport
            if transport is None:
                continue
            sockname = transport.get_extra_info("sockname")
            if sockname and (sockname[0], sockname[1]) == (device.host, device.port):
                transport.abort()


def build_simulator(
    site_map: SiteMap,
    *,
    base_dir: Path,
    faults: Mapping[str, Fault] | None = None,
    environ: Mapping[str, str] | None = None,
    discovery: bool = False,
) -> Simulator:
    """A simulator for every camera and NVR of `site_map` (not started); `discovery` also
    answers WS-Discovery probes on UDP 3702 of every camera host.

    Raises `SimulatorRefused` for a camera host outside 127.0.0.0/8 or two
    cameras on one address, `FaultError` for a fault on an unknown device, and
    `CredentialError` when a password cannot be read.
    """
    faults = dict(faults or {})
    camera_ids = {c.id for c in site_map.cameras}
    nvr_ids = {n.id for n in site_map.nvrs}
    for device_id in faults:
        if device_id not in camera_ids and device_id not in nvr_ids:
            raise FaultError(f"unknown device '{device_id}': not a camera or NVR of the site map")

    env = dict(os.environ if environ is None else environ)
    passwords: dict[str, str] = {}
    sites = site_map.site_by_id()
    taken: dict[tuple[str, int], str] = {}
    devices: dict[str, SimulatedDevice] = {}
    for camera in site_map.cameras:
        host = _loopback_host(camera.id, camera.onvif.host)
        address = (host, camera.onvif.port)
        if address in taken:
            raise SimulatorRefused(
                f"camera '{camera.id}': {host}:{camera.onvif.port} is already served for "
                f"camera '{taken[address]}'; give each camera its own host:port"
            )
        taken[address] = camera.id
        cred_name = camera.onvif.credentials
        credential = site_map.credentials.get(cred_name)
        if credential is None:
            raise CredentialError(f"camera '{camera.id}': unknown credentials '{cred_name}'")
        if cred_name not in passwords:
            passwords[cred_name] = resolve_password(cred_name, credential, base_dir, env)
        category = None
        if camera.sites and camera.sites[0] in sites:
            category = sites[camera.sites[0]].category
        devices[camera.id] = SimulatedDevice(
            camera.id,
            name=camera.name,
            host=host,
            port=camera.onvif.port,
            username=credential.username,
            password=passwords[cred_name],
            scene=scene_for(category, camera.id),
            fault=faults.get(camera.id, HEALTHY),
        )
    nvrs: dict[str, SimulatedNvr] = {}
    channels: dict[str, dict[int, SimulatedChannel]] = {n.id: {} for n in site_map.nvrs}
    for camera in site_map.cameras:
        if camera.nvr is not None and camera.nvr.id in channels:
            channels[camera.nvr.id][camera.nvr.channel] = SimulatedChannel(
                camera.nvr.channel, camera.id, camera.name or camera.id
            )
    for nvr in site_map.nvrs:
        host = _loopback_host(nvr.id, nvr.host, "NVR")
        address = (host, nvr.port)
        if address in taken:
            raise SimulatorRefused(
                f"NVR '{nvr.id}': {host}:{nvr.port} is already served for "
                f"'{taken[address]}'; give each device its own host:port"
            )
        taken[address] = nvr.id
        credential = site_map.credentials.get(nvr.credentials)
        if credential is None:
            raise CredentialError(f"NVR '{nvr.id}': unknown credentials '{nvr.credentials}'")
        if nvr.credentials not in passwords:
            passwords[nvr.credentials] = resolve_password(
                nvr.credentials, credential, base_dir, env
            )
        nvrs[nvr.id] = SimulatedNvr(
            id=nvr.id,
            kind=nvr.kind,
            host=host,
            port=nvr.port,
            username=credential.username,
            password=passwords[nvr.credentials],
            channels=channels[nvr.id],
            timezone=ZoneInfo(nvr.timezone) if nvr.timezone else local_zone(),
            fault=faults.get(nvr.id, HEALTHY),
        )
    return Simulator(devices, discovery=discovery, nvrs=nvrs)


# -- command line ---------------------------------------------------------------------------
def _campus_lines(site_map: SiteMap, simulator: Simulator) -> list[str]:
    sites = site_map.site_by_id()
    names = {c.id: c.name for c in site_map.campuses}
    counts: Counter[str | None] = Counter()
    faulted: Counter[str | None] = Counter()
    for camera in site_map.cameras:
        first = sites.get(camera.sites[0]) if camera.sites else None
        campus = first.campus if first is not None else None
        counts[campus] += 1
        if simulator.devices[camera.id].fault.active:
            faulted[campus] += 1
    lines = []
    for campus in [c.id for c in site_map.campuses] + [None]:
        if campus is None and not counts[None]:
            continue
        label = (
            f"campus {campus} ({names[campus]})"
            if campus and names.get(campus)
            else (f"campus {campus}" if campus else "no campus")
        )
        n = counts[campus]
        lines.append(f"  {label}: {n} camera{'' if n == 1 else 's'}, {faulted[campus]} with faults")
    return lines


async def _run(simulator: Simulator, site_map: SiteMap, faults: Mapping[str, Fault]) -> int:
    try:
        await simulator.start()
    except SimulatorStartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    try:
        print(f"simulating {site_map.school}:", flush=True)
        for line in _campus_lines(site_map, simulator):
            print(line, flush=True)
        camera_faults = simulator.faults()
        kinds: Counter[str] = Counter()
        for fault in camera_faults.values():
            for part in fault.describe().split(", "):
                kinds[part.split(":")[0]] += 1
        detail = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
        recorders = simulator.recorders.nvrs
        faulty_nvrs = sum(1 for nvr in recorders.values() if nvr.fault.active)
        print(
            f"serving {len(simulator.devices)} cameras on loopback, "
            f"{len(camera_faults)} with faults"
            + (f" ({detail})" if detail else "")
            + (f"; {len(recorders)} NVRs, {faulty_nvrs} with faults" if recorders else "")
            + "; press Ctrl-C to stop",
            flush=True,
        )
        # Served meanwhile: a snapshot asked for before its picture is warm is
        # rendered on demand, as without the warm-up.
        warming = asyncio.create_task(simulator.warm_up())
        await stop.wait()
        warming.cancel()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
        await simulator.stop()
    return 0


def main_simulate(site_map_path: str, faults_path: str | None, discovery: bool = False) -> int:
    """``tianyan simulate SITE_MAP [--faults FAULTS]``: serve until SIGINT/SIGTERM.

    Returns 0 after a clean stop, 2 for a bad site map, faults file, refused
    host or an address that cannot be bound.
    """
    from site_map.loader import SiteMapError, load_site_map

    try:
        loaded = load_site_map(site_map_path)
    except SiteMapError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    site_map = loaded.site_map
    try:
        faults = load_faults(faults_path, site_map)
        simulator = build_simulator(
            site_map,
            base_dir=Path(loaded.base_dir),
            faults=faults,
            environ=loaded.environ,
            discovery=discovery,
        )
    except (FaultError, SimulatorRefused, CredentialError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_run(simulator, site_map, faults))
