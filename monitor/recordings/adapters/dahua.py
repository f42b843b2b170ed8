"""Dahua recorders (DHI-NVR and the OEM firmware built on it) over the CGI HTTP API.

Every answer is plain text, one ``key=value`` a line. The quirks handled
here were seen on real firmware or are in Dahua's HTTP API document:

- ``storageDevice.cgi?action=getDeviceAllInfo`` prefixes each disk
  ``list[N].`` (the document) or ``list.info[N].`` (most NVR firmware). A
  disk has partitions ``Detail[M]`` whose bytes are summed; byte counts come
  as floats (``2000324395008.000000``); ``Name``, ``State`` and
  ``UsedBytes`` are missing on some firmware.
- Text is UTF-8 on recent firmware and GB2312/GBK on older Chinese firmware:
  every line is decoded as UTF-8, else as GB18030 (a superset of both).
- Failures are ``Error`` lines (``Error\\r\\nBad Request!``), with HTTP 200 or 400.
- ``mediaFileFind.cgi`` is a finder object on the recorder: factory.create,
  findFile, findNextFile until ``found=0``, then close and destroy. A
  recorder keeps few finders and leaks an unreleased one until it reboots,
  so every finder is released, even after an error or a timeout.
- findFile answers HTTP 400 (or ``Error``) when nothing matches: no files.
- Some firmware answers the findNextFile after the last page with an error
  instead of ``found=0``; that is the end only after a short page.
- Times are the recorder's local wall clock without a zone
  (``YYYY-MM-DD HH:MM:SS``, zero padding optional), converted with the
  endpoint's zone; a time that a daylight-saving change repeats is read as
  its first occurrence. The search window is floored/ceiled to whole
  seconds and the files found (whole files, not clipped) are clipped to it.
- ``condition.Channel`` is 1-based (the document; a DH-NVR608H rejects 0)
  while each item's ``Channel`` is 0-based. Firmware that reads
  ``condition.Channel`` 0-based answers with the next channel's files: the
  search is repeated one lower, and that numbering kept for the recorder.
- Pictures (``Type=jpg``) are listed among the files; they are not video.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import ClassVar, TypeVar
from urllib.parse import quote

from monitor.probing.deadline import Deadline
from monitor.probing.result import Reason
from monitor.recordings.adapters.base import RecorderEndpoint, RecorderHttp
from monitor.recordings.model import Channel, Disk, RecorderError, Segment, local_zone

STORAGE_CGI = "/cgi-bin/storageDevice.cgi"
CONFIG_CGI = "/cgi-bin/configManager.cgi"
CAMERA_CGI = "/cgi-bin/LogicDeviceManager.cgi"
FINDER_CGI = "/cgi-bin/mediaFileFind.cgi"

PAGE_SIZE = 100  # the HTTP API's maximum `count` for findNextFile
MAX_FILES = 10_000  # per search: more is a device that pages forever
RELEASE_GRACE_SECONDS = 2.0  # for close + destroy, after the caller's deadline if need be
DETAIL_CHARS = 60

# Dahua's disk states → DISK_STATUSES, compared lower-case without separators.
DISK_STATES: dict[str, str] = {
    **dict.fromkeys(("success", "normal", "running", "active", "ok", "busy"), "ok"),
    **dict.fromkeys(("sleep", "sleeping", "idle", "standby", "dormancy"), "idle"),
    **dict.fromkeys(("unformatted", "unformat", "noformat", "notformatted"), "unformatted"),
    **dict.fromkeys(
        ("error", "failure", "failed", "fault", "abnormal", "damaged", "degraded"), "error"
    ),
    "offline": "offline",
    **dict.fromkeys(("notexist", "nonexistent", "nodisk", "absent", "none"), "not_exist"),
    **dict.fromkeys(("formatting", "format"), "formatting"),
    **dict.fromkeys(("repairing", "repair", "rebuilding", "rebuild", "syncing"), "repairing"),
}
CONNECTED_STATES = frozenset({"connected", "online"})
DISCONNECTED_STATES = frozenset(
    {"disconnected", "connectfailed", "unconnect", "connecting", "offline", "empty"}
)

_DISK_KEY = re.compile(r"list(?:\.info)?\[(\d+)\]\.(?:Detail\[(\d+)\]\.)?(\w+)")
_TITLE_KEY = re.compile(r"(?:table\.)?ChannelTitle\[(\d+)\]\.Name")
_STATE_KEY = re.compile(r"states\[(\d+)\]\.(\w+)")
_ITEM_KEY = re.compile(r"items\[(\d+)\]\.(\w+)")
_LOCAL_TIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T]+(\d{1,2}):(\d{1,2}):(\d{1,2})")
_FINDER_ID = re.compile(r"[\w.-]{1,64}")

T = TypeVar("T")


# -- plain text ------------------------------------------------------------------------------
def decode_line(raw: bytes) -> str:
    """One line of a Dahua answer: UTF-8, else GB18030 (GB2312/GBK firmware), never an error."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


def short(text: str) -> str:
    """Device text fit for a detail: printable, one line, at most DETAIL_CHARS."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= DETAIL_CHARS else flat[: DETAIL_CHARS - 1] + "…"


@dataclass(frozen=True, slots=True)
class KeyValues:
    """A ``key=value`` answer: the values (last one wins) and the lines without ``=``."""

    values: dict[str, str]
    loose: tuple[str, ...]

    @property
    def error(self) -> str | None:
        """The device's words when it answered ``Error`` (``Error: Bad Request!``), else None."""
        if self.loose and not self.values and self.loose[0].lower().startswith("error"):
            return short(": ".join(self.loose[:2]))
        return None


def parse_key_values(content: bytes) -> KeyValues:
    values: dict[str, str] = {}
    loose: list[str] = []
    for raw in content.split(b"\n"):
        line = decode_line(raw).strip().lstrip("\ufeff")
        if not line:
            continue
        key, sep, value = line.partition("=")
        if sep and key.strip():
            # The document's own examples write "items[0].Channel =1".
            values["".join(key.split())] = value.strip()
        else:
            loose.append(line)
    return KeyValues(values, tuple(loose))


def read_answer(content: bytes, what: str) -> KeyValues:
    """Parse an answer; an ``Error`` answer is a PROTOCOL_ERROR naming the device's words."""
    answer = parse_key_values(content)
    if answer.error is not None:
        raise RecorderError(
            Reason.PROTOCOL_ERROR, f"{what}: the recorder answered {answer.error!r}"
        )
    return answer


def query_path(cgi: str, pairs: Sequence[tuple[str, str]]) -> str:
    """``cgi?k=v&...`` with values percent-encoded: a space as %20, never '+'.

    Dahua's CGI parser does not read '+' as a space in a query (the times
    contain one); ':' and '-' are sent as they are, as Dahua's own web UI does.
    """
    return cgi + "?" + "&".join(f"{key}={quote(value, safe=':-._/')}" for key, value in pairs)


def bytes_value(text: str, what: str) -> int:
    """A byte count: an integer or a float (``2000324395008.000000``), not negative."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise RecorderError(
            Reason.PROTOCOL_ERROR, f"{what} is not a number: {short(text)!r}"
        ) from None
    if not number.is_finite() or number < 0:
        raise RecorderError(Reason.PROTOCOL_ERROR, f"{what} is not a byte count: {short(text)!r}")
    return int(number)


def is_count(text: str) -> bool:
    """ASCII digits only: str.isdigit() also takes '²', which int() refuses."""
    return text.isascii() and text.isdigit()


def is_true(text: str | None) -> bool:
    return (text or "").strip().lower() in ("true", "1", "yes")


# -- times -----------------------------------------------------------------------------------
def format_local(at: float, zone: tzinfo) -> str:
    """`at` on the recorder's wall clock, as mediaFileFind takes it."""
    return datetime.fromtimestamp(at, zone).strftime("%Y-%m-%d %H:%M:%S")


def parse_local(text: str, zone: tzinfo, what: str) -> float:
    """POSIX seconds of a recorder wall-clock time (padded or not, as firmware varies)."""
    match = _LOCAL_TIME.fullmatch(text.strip())
    if match is None:
        raise RecorderError(Reason.PROTOCOL_ERROR, f"{what}: not a time: {short(text)!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        local = datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        raise RecorderError(Reason.PROTOCOL_ERROR, f"{what}: not a time: {short(text)!r}") from None
    return local.timestamp()


# -- disks -----------------------------------------------------------------------------------
@dataclass
class _DiskFields:
    fields: dict[str, str] = field(default_factory=dict)
    partitions: dict[int, dict[str, str]] = field(default_factory=dict)


def disk_status(state: str) -> str:
    word = re.sub(r"[^a-z]", "", state.lower())
    return DISK_STATES.get(word, "unknown")


def _group_disks(values: Mapping[str, str]) -> dict[int, _DiskFields]:
    disks: dict[int, _DiskFields] = {}
    for key, value in values.items():
        match = _DISK_KEY.fullmatch(key)
        if match is None:
            continue
        index, partition, name = int(match[1]), match[2], match[3]
        disk = disks.setdefault(index, _DiskFields())
        if partition is None:
            disk.fields[name] = value
        else:
            disk.partitions.setdefault(int(partition), {})[name] = value
    return disks


def _sum_bytes(
    partitions: Iterable[tuple[int, dict[str, str]]], name: str, disk: str
) -> int | None:
    """The sum of one byte field over the partitions; None when any partition lacks it."""
    total = 0
    for index, partition in partitions:
        if name not in partition:
            return None
        total += bytes_value(partition[name], f"storageDevice: {disk} Detail[{index}].{name}")
    return total


def _disk(index: int, raw: _DiskFields) -> Disk:
    name = raw.fields.get("Name", "")
    label = name or f"list[{index}]"
    partitions = sorted(raw.partitions.items())
    capacity = _sum_bytes(partitions, "TotalBytes", label) if partitions else None
    used = _sum_bytes(partitions, "UsedBytes", label) if partitions else None
    free = max(0, capacity - used) if capacity is not None and used is not None else None
    state = raw.fields.get("State", "")
    failing = any(is_true(part.get("IsError")) for _, part in partitions)
    if state:
        status = disk_status(state)
    else:
        # No State at all: the partitions' own IsError is the only word left.
        status = "ok" if partitions and all("IsError" in p for _, p in partitions) else "unknown"
    if failing and status in ("ok", "idle", "unknown"):
        status = "error"
    device_status = state + (" (partition IsError=true)" if failing else "")
    return Disk(
        id=name or str(index + 1),
        name=name or f"disk {index + 1}",
        status=status,
        capacity_bytes=capacity,
        free_bytes=free,
        device_status=device_status.strip(),
    )


def parse_disks(content: bytes) -> tuple[Disk, ...]:
    what = "storageDevice getDeviceAllInfo"
    answer = read_answer(content, what)
    disks = _group_disks(answer.values)
    if not disks and (answer.values or answer.loose):
        raise RecorderError(Reason.PROTOCOL_ERROR, f"{what}: no disk (list[N].) in the answer")
    return tuple(_disk(index, disks[index]) for index in sorted(disks))


# -- channels --------------------------------------------------------------------------------
def parse_titles(content: bytes) -> dict[int, str]:
    """{1-based channel: name} from ``table.ChannelTitle[N].Name`` (N is 0-based)."""
    answer = read_answer(content, "ChannelTitle")
    titles: dict[int, str] = {}
    for key, value in answer.values.items():
        match = _TITLE_KEY.fullmatch(key)
        if match is not None:
            titles[int(match[1]) + 1] = value
    if not titles and (answer.values or answer.loose):
        raise RecorderError(
            Reason.PROTOCOL_ERROR, "ChannelTitle: no table.ChannelTitle[N].Name in the answer"
        )
    return titles


def parse_camera_states(content: bytes) -> dict[int, bool | None]:
    """{1-based channel: online} from ``states[i].channel`` (0-based) and ``connectionState``."""
    answer = read_answer(content, "getCameraState")
    rows: dict[int, dict[str, str]] = {}
    for key, value in answer.values.items():
        match = _STATE_KEY.fullmatch(key)
        if match is not None:
            rows.setdefault(int(match[1]), {})[match[2].lower()] = value
    if not rows and (answer.values or answer.loose):
        raise RecorderError(Reason.PROTOCOL_ERROR, "getCameraState: no states[i] in the answer")
    states: dict[int, bool | None] = {}
    for index, row in rows.items():
        channel_text = row.get("channel", str(index))
        if not is_count(channel_text.removeprefix("-")):
            raise RecorderError(
                Reason.PROTOCOL_ERROR, f"getCameraState: channel {short(channel_text)!r}"
            )
        word = re.sub(r"[^a-z]", "", row.get("connectionstate", "").lower())
        online = (
            True if word in CONNECTED_STATES else False if word in DISCONNECTED_STATES else None
        )
        states[int(channel_text) + 1] = online
    return states


# -- recordings ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FoundFile:
    channel: int | None  # 1-based; None when the firmware does not say
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Page:
    found: int
    files: tuple[FoundFile, ...]


def _found_file(index: int, item: Mapping[str, str], zone: tzinfo) -> FoundFile | None:
    what = f"findNextFile: items[{index}]"
    if item.get("Type", "").strip().lower() == "jpg":
        return None  # a picture, not video
    for name in ("StartTime", "EndTime"):
        if name not in item:
            raise RecorderError(Reason.PROTOCOL_ERROR, f"{what} has no {name}")
    channel_text = item.get("Channel")
    if channel_text is not None and not is_count(channel_text):
        raise RecorderError(Reason.PROTOCOL_ERROR, f"{what}.Channel {short(channel_text)!r}")
    return FoundFile(
        channel=int(channel_text) + 1 if channel_text is not None else None,
        start=parse_local(item["StartTime"], zone, f"{what}.StartTime"),
        end=parse_local(item["EndTime"], zone, f"{what}.EndTime"),
    )


def parse_page(content: bytes, zone: tzinfo) -> Page:
    answer = read_answer(content, "findNextFile")
    found_text = answer.values.get("found")
    if found_text is None or not is_count(found_text):
        detail = f"found={short(found_text)}" if found_text is not None else "no found= line"
        raise RecorderError(Reason.PROTOCOL_ERROR, f"findNextFile: {detail}")
    items: dict[int, dict[str, str]] = {}
    for key, value in answer.values.items():
        match = _ITEM_KEY.fullmatch(key)
        if match is not None:
            items.setdefault(int(match[1]), {})[match[2]] = value
    found = int(found_text)
    if found and not items:
        raise RecorderError(Reason.PROTOCOL_ERROR, f"findNextFile: found={found} but no items")
    files = (_found_file(index, items[index], zone) for index in sorted(items))
    return Page(found, tuple(f for f in files if f is not None))


def clip(files: Iterable[FoundFile], start: float, end: float) -> tuple[Segment, ...]:
    segments = (Segment(max(f.start, start), min(f.end, end)) for f in files)
    return tuple(sorted(s for s in segments if s.end > s.start))


def _http_400(exc: RecorderError) -> bool:
    return exc.reason is Reason.PROTOCOL_ERROR and exc.http_status == 400


# -- the adapter -----------------------------------------------------------------------------
class DahuaRecorder:
    """One Dahua recorder; every method raises `RecorderError` on failure."""

    kind: ClassVar[str] = "dahua"

    def __init__(self, endpoint: RecorderEndpoint) -> None:
        self.endpoint = endpoint
        self._http = RecorderHttp(endpoint)
        # condition.Channel minus the 1-based channel: 0 (documented) or -1 (0-based firmware).
        self._condition_shift = 0

    def __repr__(self) -> str:
        return f"DahuaRecorder({self.endpoint.nvr_id!r}, {self.endpoint.address})"

    @property
    def zone(self) -> tzinfo:
        return self.endpoint.timezone or local_zone()

    async def _get(
        self, cgi: str, pairs: Sequence[tuple[str, str]], what: str, deadline: Deadline
    ) -> bytes:
        return await self._http.get(query_path(cgi, pairs), deadline, what=what)

    async def disks(self, deadline: Deadline) -> tuple[Disk, ...]:
        what = "storageDevice getDeviceAllInfo"
        content = await self._get(STORAGE_CGI, [("action", "getDeviceAllInfo")], what, deadline)
        return parse_disks(content)

    async def channels(self, deadline: Deadline) -> tuple[Channel, ...]:
        """Names from ChannelTitle, online from getCameraState: either may be missing."""
        unanswered: list[RecorderError] = []
        titles = await _unless_unanswered(self._titles(deadline), unanswered)
        states = await _unless_unanswered(self._camera_states(deadline), unanswered)
        if titles is None and states is None:
            raise unanswered[0]
        titles, states = titles or {}, states or {}
        return tuple(
            Channel(number, name=titles.get(number, ""), online=states.get(number))
            for number in sorted(titles.keys() | states.keys())
            if number >= 1
        )

    async def _titles(self, deadline: Deadline) -> dict[int, str]:
        pairs = [("action", "getConfig"), ("name", "ChannelTitle")]
        return parse_titles(await self._get(CONFIG_CGI, pairs, "ChannelTitle", deadline))

    async def _camera_states(self, deadline: Deadline) -> dict[int, bool | None]:
        pairs = [("action", "getCameraState"), ("uniqueChannels[0]", "-1")]
        return parse_camera_states(await self._get(CAMERA_CGI, pairs, "getCameraState", deadline))

    # -- segments ----------------------------------------------------------------------------
    async def segments(
        self, channel: int, start: float, end: float, deadline: Deadline
    ) -> tuple[Segment, ...]:
        if channel < 1:
            raise ValueError(f"channels are numbered from 1, got {channel}")
        if end <= start:
            return ()
        window = (
            format_local(math.floor(start), self.zone),
            format_local(math.ceil(end), self.zone),
        )
        files = await self._find(channel + self._condition_shift, window, deadline)
        own = [f for f in files if f.channel in (None, channel)]
        zero_based = all(f.channel == channel + 1 for f in files)
        if files and not own and zero_based and self._condition_shift == 0:
            # This firmware reads condition.Channel 0-based: ask one lower from now on.
            self._condition_shift = -1
            files = await self._find(channel - 1, window, deadline)
            own = [f for f in files if f.channel in (None, channel)]
        if files and not own:
            others = sorted({f.channel for f in files if f.channel is not None})
            raise RecorderError(
                Reason.PROTOCOL_ERROR,
                f"mediaFileFind: asked for channel {channel}, got files of channel "
                f"{', '.join(map(str, others[:3]))} (condition.Channel numbering?)",
            )
        return clip(own, start, end)

    async def _find(
        self, condition_channel: int, window: tuple[str, str], deadline: Deadline
    ) -> list[FoundFile]:
        """Every file one finder lists; the finder is released whatever happens."""
        finder = await self._create_finder(deadline)
        try:
            if not await self._start_search(finder, condition_channel, window, deadline):
                return []
            return await self._read_pages(finder, deadline)
        finally:
            await self._release(finder)

    async def _create_finder(self, deadline: Deadline) -> str:
        what = "mediaFileFind factory.create"
        content = await self._get(FINDER_CGI, [("action", "factory.create")], what, deadline)
        finder = read_answer(content, what).values.get("result", "")
        if not _FINDER_ID.fullmatch(finder):
            raise RecorderError(
                Reason.PROTOCOL_ERROR, f"{what}: no object id (result=) in the answer"
            )
        return finder

    async def _start_search(
        self, finder: str, condition_channel: int, window: tuple[str, str], deadline: Deadline
    ) -> bool:
        """True when the finder holds files; findFile answers 400 or Error when none match."""
        what = "mediaFileFind findFile"
        pairs = [
            ("action", "findFile"),
            ("object", finder),
            ("condition.Channel", str(condition_channel)),
            ("condition.StartTime", window[0]),
            ("condition.EndTime", window[1]),
        ]
        try:
            answer = parse_key_values(await self._get(FINDER_CGI, pairs, what, deadline))
        except RecorderError as exc:
            if _http_400(exc):
                return False
            raise
        if answer.error is not None:
            return False
        if answer.values or [line.upper() for line in answer.loose] != ["OK"]:
            lines = [*answer.loose, *(f"{k}={v}" for k, v in answer.values.items())]
            raise RecorderError(
                Reason.PROTOCOL_ERROR, f"{what}: answered {short(' '.join(lines))!r}"
            )
        return True

    async def _read_pages(self, finder: str, deadline: Deadline) -> list[FoundFile]:
        what = "mediaFileFind findNextFile"
        pairs = [("action", "findNextFile"), ("object", finder), ("count", str(PAGE_SIZE))]
        files: list[FoundFile] = []
        listed = 0  # as the recorder counts them, pictures included
        after_short_page = False
        while True:
            try:
                page = parse_page(await self._get(FINDER_CGI, pairs, what, deadline), self.zone)
            except RecorderError as exc:
                if exc.reason is Reason.PROTOCOL_ERROR and after_short_page:
                    break  # firmware that answers an error instead of found=0 after the last page
                raise
            if page.found == 0:
                break
            files.extend(page.files)
            listed += page.found
            if listed > MAX_FILES:
                raise RecorderError(
                    Reason.PROTOCOL_ERROR,
                    f"{what}: more than {MAX_FILES} files in one search (paging forever?)",
                )
            after_short_page = page.found < PAGE_SIZE
        return files

    async def _release(self, finder: str) -> None:
        """close and destroy the finder, best effort, within a short grace of their own."""
        grace = Deadline.after(RELEASE_GRACE_SECONDS)
        for action in ("close", "destroy"):
            with contextlib.suppress(RecorderError):
                pairs = [("action", action), ("object", finder)]
                await self._get(FINDER_CGI, pairs, f"mediaFileFind {action}", grace)

    async def close(self) -> None:
        await self._http.close()


async def _unless_unanswered(call: Awaitable[T], unanswered: list[RecorderError]) -> T | None:
    """The call's result, or None (the error noted) where the firmware lacks this CGI.

    A PROTOCOL_ERROR (HTTP 400/404, ``Error``, an unreadable answer) is a
    firmware without it; being refused, unreachable or late is not.
    """
    try:
        return await call
    except RecorderError as exc:
        if exc.reason is not Reason.PROTOCOL_ERROR:
            raise
        unanswered.append(exc)
        return None
