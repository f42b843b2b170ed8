"""A simulated Dahua NVR (a DHI-NVR5232-4KS2) serving the CGI HTTP API.

It answers as the firmware does, so the adapter meets the firmware's ways:

- plain ``key=value`` lines ending in CRLF; failures are HTTP 400 with
  ``Error\\r\\nBad Request!``;
- HTTP Digest on every request (the fault middleware of `server` comes first);
- ``storageDevice.cgi?action=getDeviceAllInfo`` with ``list.info[N].``
  prefixes, two partitions a disk and byte counts as floats; a failed disk
  (``disk: error``) shows ``State=Error`` and ``IsError=true``;
- ``configManager.cgi?action=getConfig&name=ChannelTitle`` encoded in
  GB2312 (GB18030, the same bytes for GB2312 text), as older Chinese
  firmware answers, whatever the Content-Type says; an unnamed channel is
  titled ``通道N`` as on that firmware;
- ``LogicDeviceManager.cgi?action=getCameraState``: Connected while the
  channel records, else Disconnected;
- ``mediaFileFind.cgi``: finder objects (a new id for every factory.create,
  at most `MAX_FINDERS` alive, as recorders keep few), findFile taking
  ``condition.Channel`` 1-based and answering 400 when nothing matches,
  findNextFile paging (``count`` at most 100, items' ``Channel`` 0-based,
  whole files overlapping the window, local wall-clock times), close and
  destroy. `finder_book` counts them for the tests;
- query values are percent-decoded only: a '+' is not a space, as on the device.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import unquote

from aiohttp import web

from monitor.simulator.digest import DigestAuthority
from monitor.simulator.nvr.recorder import (
    CHANNEL_BYTES_PER_SECOND,
    CHANNELS_PER_DISK,
    FILE_SECONDS,
    SimulatedNvr,
    local_time,
)

MAX_FINDERS = 16
MAX_PAGE = 100
BAD_REQUEST = "Error\r\nBad Request!\r\n"
_LOCAL_TIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Finder:
    files: list[tuple[float, float]] = field(default_factory=list)
    channel: int = 0  # 1-based
    cursor: int = 0
    closed: bool = False


@dataclass
class FinderBook:
    """The finders of one simulated recorder, and how they were used."""

    alive: dict[str, Finder] = field(default_factory=dict)
    created: int = 0
    searches: int = 0
    pages: int = 0  # findNextFile calls
    closed: int = 0
    destroyed: int = 0
    conditions: list[str] = field(default_factory=list)  # condition.Channel as received


_BOOKS: dict[str, FinderBook] = {}


def finder_book(nvr: SimulatedNvr) -> FinderBook:
    """The finders of the application last built for `nvr` (tests count close/destroy)."""
    return _BOOKS[nvr.id]


def text(body: str, *, status: int = 200, encoding: str = "utf-8") -> web.Response:
    # Dahua labels every answer UTF-8, whatever the bytes are.
    response = web.Response(status=status, body=body.encode(encoding, errors="replace"))
    response.headers["Content-Type"] = "text/plain;charset=utf-8"
    return response


def bad_request() -> web.Response:
    return text(BAD_REQUEST, status=400)


def lines(pairs: list[tuple[str, object]]) -> str:
    return "".join(f"{key}={value}\r\n" for key, value in pairs)


def query(request: web.BaseRequest) -> dict[str, str]:
    """The query, percent-decoded as the firmware does: no '+' for a space."""
    raw = request.raw_path.partition("?")[2]
    pairs = (part.partition("=") for part in raw.split("&") if part)
    return {unquote(key): unquote(value) for key, _, value in pairs}


def is_count(value: str) -> bool:
    return value.isascii() and value.isdigit()


def parse_local(nvr: SimulatedNvr, value: str) -> float | None:
    match = _LOCAL_TIME.fullmatch(value)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=nvr.timezone).timestamp()
    except ValueError:
        return None


def wall_clock(nvr: SimulatedNvr, at: float) -> str:
    return local_time(nvr, at).strftime("%Y-%m-%d %H:%M:%S")


# -- storage ---------------------------------------------------------------------------------
def storage_answer(nvr: SimulatedNvr) -> str:
    pairs: list[tuple[str, object]] = []
    for index, disk in enumerate(nvr.disks()):
        prefix = f"list.info[{index}]"
        device = f"/dev/sd{chr(ord('a') + index)}"
        used = disk.capacity_bytes - disk.free_bytes
        halves = (disk.capacity_bytes // 2, disk.capacity_bytes - disk.capacity_bytes // 2)
        used_first = min(used, halves[0])  # the recorder fills its partitions in turn
        partitions = zip(halves, (used_first, used - used_first), strict=True)
        for part, (total, part_used) in enumerate(partitions):
            pairs += [
                (f"{prefix}.Detail[{part}].IsError", "true" if disk.failed else "false"),
                (f"{prefix}.Detail[{part}].Path", f"{device}{part}"),
                (f"{prefix}.Detail[{part}].TotalBytes", f"{total}.000000"),
                (f"{prefix}.Detail[{part}].Type", "ReadWrite"),
                (f"{prefix}.Detail[{part}].UsedBytes", f"{part_used}.000000"),
            ]
        pairs += [
            (f"{prefix}.HealthDataFlag", 0),
            (f"{prefix}.Name", device),
            (f"{prefix}.State", "Error" if disk.failed else "Success"),
        ]
    return lines(pairs)


async def storage(nvr: SimulatedNvr, request: web.Request) -> web.Response:
    if query(request).get("action") != "getDeviceAllInfo":
        return bad_request()
    return text(storage_answer(nvr))


# -- channels --------------------------------------------------------------------------------
async def config(nvr: SimulatedNvr, request: web.Request) -> web.Response:
    params = query(request)
    if params.get("action") != "getConfig" or params.get("name") != "ChannelTitle":
        return bad_request()
    # A channel nobody named keeps the Chinese firmware's default title.
    pairs: list[tuple[str, object]] = [
        (f"table.ChannelTitle[{number - 1}].Name", channel.name or f"通道{number}")
        for number, channel in sorted(nvr.channels.items())
    ]
    return text(lines(pairs), encoding="gb18030")


async def camera_state(nvr: SimulatedNvr, request: web.Request) -> web.Response:
    if query(request).get("action") != "getCameraState":
        return bad_request()
    pairs: list[tuple[str, object]] = []
    for index, number in enumerate(sorted(nvr.channels)):
        state = "Connected" if nvr.recording_now(number) else "Disconnected"
        pairs += [
            (f"states[{index}].channel", number - 1),
            (f"states[{index}].connectionState", state),
        ]
    return text(lines(pairs))


async def system_info(nvr: SimulatedNvr, request: web.Request) -> web.Response:
    action = query(request).get("action")
    _, model, firmware = nvr.model
    if action == "getSystemInfo":
        return text(lines([("deviceType", model), ("serialNumber", nvr.serial)]))
    if action == "getDeviceType":
        return text(lines([("type", model)]))
    if action == "getSoftwareVersion":
        return text(lines([("version", firmware)]))
    return bad_request()


async def current_time(nvr: SimulatedNvr, request: web.Request) -> web.Response:
    if query(request).get("action") != "getCurrentTime":
        return bad_request()
    return text(lines([("result", wall_clock(nvr, nvr.now()))]))


# -- recordings ------------------------------------------------------------------------------
def whole_files(
    nvr: SimulatedNvr, channel: int, start: float, end: float
) -> list[tuple[float, float]]:
    """The files overlapping [start, end], whole: a file is at most an hour long."""
    around = nvr.files(channel, start - FILE_SECONDS, end + FILE_SECONDS)
    return [(a, b) for a, b in around if a <= end and b >= start and b > a]


def item_lines(
    nvr: SimulatedNvr, index: int, channel: int, file: tuple[float, float]
) -> list[tuple[str, object]]:
    start, end = file
    begin, finish = local_time(nvr, start), local_time(nvr, end)
    disk = (channel - 1) // CHANNELS_PER_DISK
    path = (
        f"/mnt/dvr/{begin:%Y-%m-%d}/{channel - 1}/dav/{begin:%H}/"
        f"{begin:%H.%M.%S}-{finish:%H.%M.%S}[R][0@0][0].dav"
    )
    prefix = f"items[{index}]"
    return [
        (f"{prefix}.Channel", channel - 1),
        (f"{prefix}.Cluster", int(start // FILE_SECONDS) % 100_000),
        (f"{prefix}.Disk", disk),
        (f"{prefix}.Duration", int(end - start)),
        (f"{prefix}.EndTime", wall_clock(nvr, end)),
        (f"{prefix}.FilePath", path),
        (f"{prefix}.Flags[0]", "Timing"),
        (f"{prefix}.Length", int((end - start) * CHANNEL_BYTES_PER_SECOND)),
        (f"{prefix}.Partition", 0),
        (f"{prefix}.StartTime", wall_clock(nvr, start)),
        (f"{prefix}.Type", "dav"),
        (f"{prefix}.VideoStream", "Main"),
        (f"{prefix}.WorkDir", f"/mnt/dvr/sd{chr(ord('a') + disk)}0"),
    ]


class FinderService:
    """mediaFileFind.cgi of one recorder."""

    def __init__(self, nvr: SimulatedNvr, book: FinderBook) -> None:
        self.nvr = nvr
        self.book = book
        self._ids = itertools.count(random.randrange(10_000, 2_000_000_000))

    async def handle(self, request: web.Request) -> web.Response:
        params = query(request)
        action = params.get("action", "")
        if action == "factory.create":
            return self.create()
        finder = self.book.alive.get(params.get("object", ""))
        if finder is None:
            return bad_request()
        if action == "findFile":
            return self.find(finder, params)
        if action == "findNextFile":
            return self.next_page(finder, params)
        if action == "close":
            self.book.closed += 1
            finder.closed, finder.files = True, []
            return text("OK\r\n")
        if action == "destroy":
            self.book.destroyed += 1
            del self.book.alive[params["object"]]
            return text("OK\r\n")
        return bad_request()

    def create(self) -> web.Response:
        if len(self.book.alive) >= MAX_FINDERS:
            return bad_request()  # the recorder's finders are used up (leaked)
        finder_id = str(next(self._ids))
        self.book.alive[finder_id] = Finder()
        self.book.created += 1
        return text(lines([("result", finder_id)]))

    def find(self, finder: Finder, params: dict[str, str]) -> web.Response:
        self.book.searches += 1
        channel_text = params.get("condition.Channel", "")
        self.book.conditions.append(channel_text)
        start = parse_local(self.nvr, params.get("condition.StartTime", ""))
        end = parse_local(self.nvr, params.get("condition.EndTime", ""))
        if not is_count(channel_text) or start is None or end is None or end <= start:
            return bad_request()
        channel = int(channel_text)  # 1-based here, 0-based in the items
        if channel not in self.nvr.channels:
            return bad_request()
        files = whole_files(self.nvr, channel, start, end)
        if not files:
            return bad_request()  # the firmware's way of saying: nothing found
        finder.files, finder.channel, finder.cursor, finder.closed = files, channel, 0, False
        return text("OK\r\n")

    def next_page(self, finder: Finder, params: dict[str, str]) -> web.Response:
        self.book.pages += 1
        count_text = params.get("count", "")
        if not is_count(count_text) or int(count_text) < 1 or finder.closed:
            return bad_request()
        count = min(int(count_text), MAX_PAGE)
        page = finder.files[finder.cursor : finder.cursor + count]
        finder.cursor += len(page)
        pairs: list[tuple[str, object]] = [("found", len(page))]
        for index, file in enumerate(page):
            pairs += item_lines(self.nvr, index, finder.channel, file)
        return text(lines(pairs))


def digest_middleware(
    nvr: SimulatedNvr, digest: DigestAuthority
) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        refusal = nvr.check_digest(request, digest)
        if refusal is not None:
            return refusal
        return await handler(request)

    return authenticate


def application(nvr: SimulatedNvr, digest: DigestAuthority) -> web.Application:
    book = FinderBook()
    _BOOKS[nvr.id] = book
    app = web.Application(middlewares=[digest_middleware(nvr, digest)])

    def bound(handler: Callable[[SimulatedNvr, web.Request], Awaitable[web.Response]]) -> Handler:
        async def serve(request: web.Request) -> web.StreamResponse:
            return await handler(nvr, request)

        return serve

    app.router.add_get("/cgi-bin/storageDevice.cgi", bound(storage))
    app.router.add_get("/cgi-bin/configManager.cgi", bound(config))
    app.router.add_get("/cgi-bin/LogicDeviceManager.cgi", bound(camera_state))
    app.router.add_get("/cgi-bin/magicBox.cgi", bound(system_info))
    app.router.add_get("/cgi-bin/global.cgi", bound(current_time))
    app.router.add_get("/cgi-bin/mediaFileFind.cgi", FinderService(nvr, book).handle)
    return app
