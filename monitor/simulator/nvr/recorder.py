"""One simulated NVR's state: channels, recording history, disks and faults.

The history is a pure function of the NVR, the channel and the time, so
that every protocol serves the same footage and a test can compute the
storage rate by hand:

- a healthy channel has recorded continuously since `HISTORY_DAYS` ago (a
  recorder keeps more than the 30 days required, then overwrites);
  `retention_days: N` keeps only N days;
- `recording_gaps: F` leaves out the fraction F of every local day, in one
  stretch starting at an hour that differs by channel (a recorder that loses
  power at night, a stream that drops out). Over any window that is a whole
  number of days long, exactly F of it is missing, wherever it starts;
- the footage is cut into files of at most one hour, as recorders store it,
  so a 35-day search returns 840 files per channel and paging is exercised.

Disks: one per eight channels (at least two), sized for `CAPACITY_DAYS` of recording
(full, and overwriting, at `retention_days` when that fault is set);
`disk: error` fails the last one.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from aiohttp import web

from monitor.recordings.model import local_zone
from monitor.simulator.digest import DigestAuthority, DigestResult
from monitor.simulator.faults import HEALTHY, Fault

__all__ = ["DAY", "SimulatedChannel", "SimulatedDisk", "SimulatedNvr", "local_time", "local_zone"]

DAY = 86_400.0
FILE_SECONDS = 3_600.0
HISTORY_DAYS = 35.0
CAPACITY_DAYS = 60.0  # a healthy recorder's disks hold this many days of its channels
CHANNEL_BYTES_PER_SECOND = 4_000_000 // 8  # a 4 Mbit/s main stream
CHANNELS_PER_DISK = 8
RESERVED_BYTES = 2 * 1024**3  # what a full, overwriting recorder still shows free

# What each simulated kind says about itself.
MODELS: dict[str, tuple[str, str, str]] = {  # kind: (manufacturer, model, firmware)
    "onvif": ("Tianyan Sim", "SIM-NVR-G", "1.0.0"),
    "hikvision": ("HIKVISION", "DS-7732NI-K4", "V4.61.010 build 220615"),
    "dahua": ("Dahua", "DHI-NVR5232-4KS2", "V4.001.0000000.3.R"),
}


@dataclass(frozen=True, slots=True)
class SimulatedChannel:
    number: int
    camera_id: str
    name: str


@dataclass(frozen=True, slots=True)
class SimulatedDisk:
    id: int  # 1-based
    name: str
    capacity_bytes: int
    free_bytes: int
    failed: bool


def _stable(*parts: object) -> int:
    digest = hashlib.blake2b("\0".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@dataclass
class SimulatedNvr:
    id: str
    kind: str  # onvif | hikvision | dahua
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    channels: Mapping[int, SimulatedChannel]
    timezone: tzinfo
    fault: Fault = HEALTHY
    clock: Callable[[], float] = time.time  # POSIX seconds; tests may freeze it
    # When the camera behind a channel stopped sending video (offline, hung),
    # and came back: no footage in between. [start, end or None while down].
    outages: dict[int, list[list[float | None]]] = field(default_factory=dict)

    def camera_down(self, channel: int, down: bool) -> None:
        """The camera behind `channel` stopped (or resumed) sending video now."""
        spans = self.outages.setdefault(channel, [])
        open_span = bool(spans) and spans[-1][1] is None
        if down and not open_span:
            spans.append([self.now(), None])
        elif not down and open_span:
            spans[-1][1] = self.now()

    @property
    def realm(self) -> str:
        return {"hikvision": "DS-7732NI-K4", "dahua": "Login to 4L0C1D3PAZ00001"}.get(
            self.kind, f"tianyan-sim-{self.id}"
        )

    @property
    def serial(self) -> str:
        return f"SIMNVR{_stable(self.id) % 10**10:010d}"

    @property
    def model(self) -> tuple[str, str, str]:
        return MODELS[self.kind]

    @property
    def effective_password(self) -> str:
        """The password the device accepts: not the site map's under `auth_fail`."""
        return self.password + "-changed" if self.fault.auth_fail else self.password

    def now(self) -> float:
        return self.clock()

    # -- recordings -------------------------------------------------------------------------
    @property
    def retention_days(self) -> float:
        return self.fault.retention_days or HISTORY_DAYS

    def earliest(self, now: float | None = None) -> float:
        """The start of the oldest footage still on the disks."""
        now = self.now() if now is None else now
        return math.floor(now - self.retention_days * DAY)

    def _gap_start(self, channel: int) -> float:
        """Seconds after local midnight at which this channel's daily gap begins."""
        return float(_stable(self.id, channel) % 24) * 3600.0

    def _local_midnight(self, at: float) -> float:
        local = datetime.fromtimestamp(at, self.timezone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight.timestamp()

    def recorded(self, channel: int, start: float, end: float) -> list[tuple[float, float]]:
        """Recorded stretches of `channel` within [start, end), before cutting into files."""
        stretches = self._scheduled(channel, start, end)
        for down_from, down_to in self.outages.get(channel, ()):
            assert down_from is not None
            until = self.now() if down_to is None else down_to
            stretches = [
                piece
                for a, b in stretches
                for piece in ((a, min(b, down_from)), (max(a, until), b))
                if piece[1] > piece[0]
            ]
        return stretches

    def _scheduled(self, channel: int, start: float, end: float) -> list[tuple[float, float]]:
        """What the recorder would hold with every camera sending: the gaps fault only."""
        now = self.now()
        start, end = max(start, self.earliest(now)), min(end, now)
        if channel not in self.channels or end <= start:
            return []
        gap = self.fault.recording_gaps
        if gap <= 0.0:
            return [(start, end)]
        if gap >= 1.0:
            return []
        offset, length = self._gap_start(channel), gap * DAY
        out: list[tuple[float, float]] = []
        cursor = start
        # Days of 86,400 s: zones with daylight saving time are not simulated.
        day = self._local_midnight(start) - DAY  # a gap may run over from the day before
        while day < end:
            gap_from, gap_to = day + offset, day + offset + length
            if gap_to > cursor and gap_from < end:
                if gap_from > cursor:
                    out.append((cursor, min(gap_from, end)))
                cursor = max(cursor, gap_to)
            day += DAY
        if cursor < end:
            out.append((cursor, end))
        return [(a, b) for a, b in out if b > a]

    def files(self, channel: int, start: float, end: float) -> list[tuple[float, float]]:
        """The recorded files of `channel` overlapping [start, end), clipped to it."""
        out: list[tuple[float, float]] = []
        for a, b in self.recorded(channel, start, end):
            cut = math.floor(a / FILE_SECONDS) * FILE_SECONDS + FILE_SECONDS
            while a < b:
                out.append((a, min(b, cut)))
                a, cut = cut, cut + FILE_SECONDS
        return out

    def recording_now(self, channel: int) -> bool:
        now = self.now()
        return bool(self.recorded(channel, now - 1.0, now + 1.0))

    # -- disks ------------------------------------------------------------------------------
    def disks(self) -> list[SimulatedDisk]:
        count = max(2, math.ceil(len(self.channels) / CHANNELS_PER_DISK))
        rate = max(1, len(self.channels)) * CHANNEL_BYTES_PER_SECOND  # bytes a second
        days = self.fault.retention_days or CAPACITY_DAYS
        capacity = int(rate * days * DAY / count)
        kept = min(self.retention_days, days) * (1.0 - self.fault.recording_gaps)
        used = int(rate * kept * DAY / count)
        free = max(RESERVED_BYTES, capacity - used)
        # Disks are sold in whole gigabytes: round as a recorder reports them.
        capacity = capacity // 1024**2 * 1024**2
        free = min(free // 1024**2 * 1024**2, capacity)
        return [
            SimulatedDisk(
                id=i,
                name=f"hdd{i}",
                capacity_bytes=capacity,
                free_bytes=0 if (failed := self.fault.disk == "error" and i == count) else free,
                failed=failed,
            )
            for i in range(1, count + 1)
        ]

    # -- HTTP helpers for the protocol modules ---------------------------------------------
    def check_digest(
        self, request: web.BaseRequest, digest: DigestAuthority
    ) -> web.Response | None:
        """None when the request carries valid Digest credentials, else the 401 to send."""
        result = digest.verify(
            request.headers.get("Authorization"),
            method=request.method,
            uri=request.raw_path,
            realm=self.realm,
            username=self.username,
            password=self.effective_password,
        )
        if result is DigestResult.OK:
            return None
        response = web.Response(status=401, text="Unauthorized")
        response.headers["WWW-Authenticate"] = digest.challenge(
            self.realm, stale=result is DigestResult.STALE
        )
        return response


def local_time(nvr: SimulatedNvr, at: float) -> datetime:
    """`at` on the NVR's wall clock."""
    return datetime.fromtimestamp(at, nvr.timezone)
