"""Hikvision ISAPI recorders (DS-7xxx / DS-9xxx NVRs, hybrid DVRs).

Three endpoints answer the three questions:

- disks: ``GET /ISAPI/ContentMgmt/Storage`` (``hddList/hdd`` and ``nasList/nas``);
- channels: ``GET /ISAPI/ContentMgmt/InputProxy/channels/status`` (IP channels), falling
  back to ``/ISAPI/ContentMgmt/InputProxy/channels`` and then to the analog inputs
  ``/ISAPI/System/Video/inputs/channels`` when the recorder has no IP channel to report;
- segments: ``POST /ISAPI/ContentMgmt/search`` with a ``CMSearchDescription``, paged.

Vendor quirks this module is written around (seen in real answers):

- Namespaces differ by firmware: ``hikvision.com/ver20``, ``hikvision.com/ver10``,
  ``isapi.org/ver20`` or none, and one answer may mix them (``storage`` in ver20 holding
  an ``hddList`` that redeclares ver10). Elements are matched on local names only.
- Errors come as a ``ResponseStatus`` document (statusCode, statusString, subStatusCode)
  with an HTTP 4xx, most often **403 for "not supported"** (``notSupport``,
  ``methodNotAllowed``) -- wrong credentials are 401. Older firmware sends the same
  document with HTTP 200. `IsapiHttp` reads the body of a refusal so that a 403
  ``notSupport`` is a protocol matter, not an authentication failure.
- Disk sizes are MiB; disk states include Hikvision's own spellings ``reparing`` and
  ``formating``; a disk that is not formatted or not present may omit its sizes.
- The search request spells its paging field ``searchResultPostion`` (sic); a device
  answers at most its own page size whatever ``maxResults`` asks, and says ``MORE``
  until the last page (``OK``) or ``NO MATCHES``. Paging continues from the position
  plus the matches actually returned. Search hits are whole files, not clipped to the
  window: this module clips them.
- Analog channels report a missing camera as ``<resDesc>NO VIDEO</resDesc>``; text
  values may carry stray spaces.

Times (the rule): the ISAPI guide says ``Z`` means UTC and recommends an explicit
offset, but NVR firmware writes its **local wall-clock time followed by ``Z``** and
reads a search window the same way. The guide's own search example shows it (hits at
15:18Z in an answer whose RTSP ``Date`` says 07:29 GMT, an NVR at UTC+8), the NVR's own
web page asks for a local day as ``T00:00:00Z``..``T23:59:59Z``, and download tools
for these NVRs keep a "legacy" mode that reads ``Z`` as local time. So:

- a time with an explicit offset (``+08:00``, ``-0500``) is that instant;
- a time ending in ``Z``, or without any suffix, is the wall clock of the endpoint's
  ``timezone`` (the machine's own zone when none is configured);
- the search window is written as that wall clock followed by ``Z``.

Firmware that really means UTC by ``Z`` is handled by ``HikvisionRecorder(...,
z_is_utc=True)``, which reads and writes ``Z`` as UTC; offsets are honoured either way.
A wall-clock time that a daylight-saving change repeats is read as its first occurrence.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import ClassVar

import aiohttp
from aiohttp import ClientHandlerType
from lxml import etree
from lxml.builder import ElementMaker

from monitor.probing.deadline import Deadline
from monitor.probing.errors import StageFailure
from monitor.probing.result import Reason
from monitor.probing.transport import check_xml, read_limited
from monitor.recordings.adapters.base import RecorderEndpoint, RecorderHttp
from monitor.recordings.model import Channel, Disk, RecorderError, Segment

STORAGE_PATH = "/ISAPI/ContentMgmt/Storage"
CHANNEL_STATUS_PATH = "/ISAPI/ContentMgmt/InputProxy/channels/status"
PROXY_CHANNELS_PATH = "/ISAPI/ContentMgmt/InputProxy/channels"
VIDEO_INPUTS_PATH = "/ISAPI/System/Video/inputs/channels"
SEARCH_PATH = "/ISAPI/ContentMgmt/search"
ISAPI_NAMESPACE = "http://www.hikvision.com/ver20/XMLSchema"
XML_CONTENT_TYPE = 'application/xml; charset="UTF-8"'
# Every kind of recording (continuous, motion, alarm, ...), as the NVR's own web page asks.
ALL_RECORD_TYPES = "//recordType.meta.std-cgi.com"
MAIN_STREAM = 1  # trackID = channel * 100 + stream: 101 is channel 1's main stream

PAGE_SIZE = 400  # asked per page; devices answer fewer (their own cap) and say MORE
# A device that never stops saying MORE is cut off here. A channel recording motion
# events can hold a few hundred files a day, so a 35-day search stays well below this.
MAX_MATCHES = 20_000
ERROR_BODY_BYTES = 64 * 1024  # a ResponseStatus document is a few hundred bytes
MIB = 1024 * 1024
# Refusals that mean "this firmware has no such function" (checked for fallbacks).
NOT_SUPPORTED_STATUSES = frozenset({403, 404, 405, 501})
# The sub-status of an account that may log in but not do this: a credentials matter.
PERMISSION_SUB_STATUSES = frozenset({"lowprivilege"})

# The device's disk words (ok, unformatted, error, idle, mismatch, offline, smartFailed,
# reparing, formating, notexist; lower-cased, without separators) onto DISK_STATUSES.
# Any other word (``unRecordHostFormatted``: formatted by another recorder) is "unknown",
# the device's own word kept for the technician.
DISK_STATUS_WORDS: dict[str, str] = {
    "ok": "ok",
    "idle": "idle",
    "unformatted": "unformatted",
    "error": "error",
    "mismatch": "mismatch",
    "offline": "offline",
    "smartfailed": "smart_failed",
    "reparing": "repairing",  # sic, Hikvision's spelling
    "repairing": "repairing",
    "formating": "formatting",  # sic
    "formatting": "formatting",
    "notexist": "not_exist",
}
SEARCH_STATUSES = ("OK", "MORE", "NO MATCHES")
# Analog inputs without a camera describe their resolution as this.
NO_VIDEO = "NO VIDEO"

_ISAPI_TIME = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)
_UNPRINTABLE = re.compile(r"[^\x20-\x7e\u00a0-\uffff]+")


# -- errors -------------------------------------------------------------------------------
class IsapiRefusal(RecorderError):
    """The NVR refused a request in ISAPI terms (a ResponseStatus document, or a 404)."""

    def __init__(
        self,
        reason: Reason,
        answer: str,
        *,
        http_status: int | None,
        sub_status: str,
        what: str = "",
    ) -> None:
        super().__init__(reason, f"{what}: {answer}" if what else answer, http_status=http_status)
        self.answer = answer
        self.sub_status = sub_status

    def regarding(self, what: str) -> IsapiRefusal:
        """The same refusal, its detail naming the question asked."""
        return IsapiRefusal(
            self.reason,
            self.answer,
            http_status=self.http_status,
            sub_status=self.sub_status,
            what=what,
        )

    @property
    def not_supported(self) -> bool:
        return self.reason is Reason.PROTOCOL_ERROR and (
            self.http_status in NOT_SUPPORTED_STATUSES
            or self.sub_status.lower() in ("notsupport", "methodnotallowed", "invalidoperation")
        )


def _device_text(text: str | None, limit: int = 80) -> str:
    """A device's words, safe to put into a detail: printable and short."""
    cleaned = _UNPRINTABLE.sub(" ", text or "").strip()
    return cleaned[:limit]


def refusal_from_status_document(root: etree._Element, http_status: int) -> IsapiRefusal:
    """The refusal a ``ResponseStatus`` document states."""
    code = _device_text(_text(root, "statusCode"), 12)
    meaning = _device_text(_text(root, "statusString")) or "no reason given"
    sub_status = _device_text(_text(root, "subStatusCode"), 60)
    reason = (
        Reason.AUTH_FAILED
        if sub_status.lower() in PERMISSION_SUB_STATUSES
        else Reason.PROTOCOL_ERROR
    )
    said = ", ".join(part for part in (sub_status, f"statusCode {code}" if code else "") if part)
    return IsapiRefusal(
        reason,
        f"the NVR refused: {meaning} ({said or 'no sub-status'}, HTTP {http_status})",
        http_status=http_status,
        sub_status=sub_status,
    )


def refusal_from_error_answer(http_status: int, body: bytes) -> IsapiRefusal | None:
    """The refusal an HTTP error answer carries, or None when it is not an ISAPI one."""
    root: etree._Element | None
    try:
        root = check_xml(body) if body.strip() else None
    except StageFailure:
        root = None
    if root is not None and _local(root) == "ResponseStatus":
        return refusal_from_status_document(root, http_status)
    if http_status in (404, 405, 501):
        return IsapiRefusal(
            Reason.PROTOCOL_ERROR,
            f"the NVR has no such function (HTTP {http_status})",
            http_status=http_status,
            sub_status="",
        )
    return None


async def _read_refusals(
    request: aiohttp.ClientRequest, handler: ClientHandlerType
) -> aiohttp.ClientResponse:
    """Client middleware: raise the `IsapiRefusal` an error answer carries.

    Any other answer is returned as it is, for `RecorderHttp` to judge by its status.
    """
    response = await handler(request)
    if response.status < 400 or response.status == 401:
        return response
    body = await read_limited(response, ERROR_BODY_BYTES)
    refusal = refusal_from_error_answer(response.status, body or b"")
    if refusal is None:
        return response
    response.release()
    raise refusal


class IsapiHttp(RecorderHttp):
    """`RecorderHttp` that reads an ISAPI error document before the status is judged.

    `RecorderHttp` judges a 4xx by its status alone and takes 403 for refused
    credentials; a Hikvision 403 usually means "not supported" instead, and only the
    ``ResponseStatus`` body tells which (`_read_refusals`, outside the digest middleware,
    sees final answers only).
    """

    def __init__(self, endpoint: RecorderEndpoint) -> None:
        super().__init__(endpoint, extra_middlewares=(_read_refusals,))


# -- XML ----------------------------------------------------------------------------------
def _local(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _text(parent: etree._Element, name: str) -> str | None:
    """The stripped text of `parent`'s child `name` in any namespace, None when empty."""
    text = parent.findtext(f"{{*}}{name}")
    if text is None:
        return None
    return text.strip() or None


def parse_document(content: bytes, what: str, expected: tuple[str, ...]) -> etree._Element:
    """The root of an answer, which must be one of `expected` (by local name)."""
    try:
        root = check_xml(content)
    except StageFailure as exc:
        raise RecorderError(exc.reason, f"{what}: {exc.detail}") from None
    name = _local(root)
    if name == "ResponseStatus" and _text(root, "statusCode") != "1":
        # Old firmware refuses with HTTP 200 and the same document.
        raise refusal_from_status_document(root, 200).regarding(what)
    if name not in expected:
        raise RecorderError(
            Reason.PROTOCOL_ERROR, f"{what}: expected <{expected[0]}>, got <{name or '?'}>"
        )
    return root


# -- disks --------------------------------------------------------------------------------
def disk_status(word: str | None) -> str:
    key = re.sub(r"[\s_-]", "", word or "").lower()
    return DISK_STATUS_WORDS.get(key, "unknown")


def _mib_to_bytes(text: str | None) -> int | None:
    """A size in MiB as bytes; None when absent or unreadable (old firmware omits it)."""
    if text is None:
        return None
    try:
        mib = float(text)
    except ValueError:
        return None
    return int(mib * MIB) if math.isfinite(mib) and mib >= 0 else None


def _disk(entry: etree._Element, kind: str, what: str) -> Disk:
    disk_id = _text(entry, "id")
    if disk_id is None:
        raise RecorderError(Reason.PROTOCOL_ERROR, f"{what}: a {kind} entry without an <id>")
    if kind == "hdd":
        name = _text(entry, "hddName") or f"hdd{disk_id}"
    else:
        where = ":".join(part for part in (_text(entry, "ipAddress"), _text(entry, "path")) if part)
        name = f"NAS {where}" if where else f"nas{disk_id}"
    word = _text(entry, "status") or ""
    return Disk(
        id=disk_id,
        name=name,
        status=disk_status(word),
        capacity_bytes=_mib_to_bytes(_text(entry, "capacity")),
        free_bytes=_mib_to_bytes(_text(entry, "freeSpace")),
        device_status=_device_text(word, 40),
    )


def parse_disks(content: bytes, what: str = "storage") -> tuple[Disk, ...]:
    root = parse_document(content, what, ("storage", "hddList"))
    disks = [_disk(entry, "hdd", what) for entry in root.iter("{*}hdd")]
    disks += [_disk(entry, "nas", what) for entry in root.iter("{*}nas")]
    return tuple(disks)


# -- channels -----------------------------------------------------------------------------
def _channel_number(entry: etree._Element, what: str) -> int:
    text = _text(entry, "id")
    try:
        number = int(text or "")
    except ValueError:
        number = 0
    if number < 1:
        raise RecorderError(
            Reason.PROTOCOL_ERROR, f"{what}: channel id {_device_text(text, 20)!r} is not 1, 2, ..."
        )
    return number


_FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _flag(text: str | None) -> bool | None:
    return _FLAGS.get((text or "").lower())


def _proxy_status(entry: etree._Element, what: str) -> Channel:
    online = _flag(_text(entry, "online"))
    if online is None:  # firmware without <online> still says how the connection went
        detected = (_text(entry, "chanDetectResult") or "").lower()
        online = detected in ("connect", "online") if detected else None
    return Channel(number=_channel_number(entry, what), online=online)


def _proxy_channel(entry: etree._Element, what: str) -> Channel:
    return Channel(number=_channel_number(entry, what), name=_text(entry, "name") or "")


def _video_input(entry: etree._Element, what: str) -> Channel:
    resolution = (_text(entry, "resDesc") or "").upper()
    online = (resolution != NO_VIDEO) if resolution else None
    if _flag(_text(entry, "videoInputEnabled")) is False:
        online = False
    return Channel(
        number=_channel_number(entry, what), name=_text(entry, "name") or "", online=online
    )


@dataclass(frozen=True)
class ChannelSource:
    path: str
    what: str
    root: str
    entry: str
    read: Callable[[etree._Element, str], Channel]


# Asked in order until one lists channels (see the module docstring).
CHANNEL_SOURCES: tuple[ChannelSource, ...] = (
    ChannelSource(
        CHANNEL_STATUS_PATH,
        "channel status",
        "InputProxyChannelStatusList",
        "InputProxyChannelStatus",
        _proxy_status,
    ),
    ChannelSource(
        PROXY_CHANNELS_PATH,
        "IP channels",
        "InputProxyChannelList",
        "InputProxyChannel",
        _proxy_channel,
    ),
    ChannelSource(
        VIDEO_INPUTS_PATH,
        "analog channels",
        "VideoInputChannelList",
        "VideoInputChannel",
        _video_input,
    ),
)


def parse_channels(content: bytes, source: ChannelSource) -> tuple[Channel, ...]:
    root = parse_document(content, source.what, (source.root,))
    by_number: dict[int, Channel] = {}
    for entry in root.iter(f"{{*}}{source.entry}"):
        channel = source.read(entry, source.what)
        by_number.setdefault(channel.number, channel)
    return tuple(by_number[number] for number in sorted(by_number))


# -- times --------------------------------------------------------------------------------
@dataclass(frozen=True)
class WallClock:
    """How this NVR writes times: its zone (None: this machine's), and what ``Z`` means."""

    zone: tzinfo | None
    z_is_utc: bool = False

    def parse(self, text: str) -> float:
        """POSIX seconds of an ISAPI time (see the module docstring); ValueError if unreadable."""
        match = _ISAPI_TIME.fullmatch(text.strip())
        if match is None:
            raise ValueError(text)
        year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
        micro = int((match.group(7) or "0")[:6].ljust(6, "0"))
        naive = datetime(year, month, day, hour, minute, second, micro)
        suffix = (match.group(8) or "").upper()
        if suffix and suffix != "Z":
            return naive.replace(tzinfo=_fixed_offset(suffix)).timestamp()
        if suffix == "Z" and self.z_is_utc:
            return naive.replace(tzinfo=UTC).timestamp()
        # A naive datetime's timestamp() is this machine's local time, DST included.
        return naive.replace(tzinfo=self.zone).timestamp() if self.zone else naive.timestamp()

    def format(self, at: float) -> str:
        """`at` written as this NVR reads a search window."""
        if self.z_is_utc:
            moment = datetime.fromtimestamp(at, UTC)
        else:
            moment = (
                datetime.fromtimestamp(at, self.zone) if self.zone else datetime.fromtimestamp(at)
            )
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _fixed_offset(suffix: str) -> timezone:
    sign = -1 if suffix.startswith("-") else 1
    digits = suffix[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or "0")
    if hours > 14 or minutes > 59:
        raise ValueError(suffix)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


# -- recording search ---------------------------------------------------------------------
@dataclass(frozen=True)
class SearchPage:
    status: str  # one of SEARCH_STATUSES
    spans: tuple[tuple[float, float], ...]


def search_description(
    search_id: str, track: int, window: tuple[str, str], position: int, page_size: int
) -> bytes:
    """The CMSearchDescription of one page of a recording search."""
    maker = ElementMaker(namespace=ISAPI_NAMESPACE, nsmap={None: ISAPI_NAMESPACE})
    document = maker.CMSearchDescription(
        maker.searchID(search_id),
        maker.trackIDList(maker.trackID(str(track))),
        maker.timeSpanList(maker.timeSpan(maker.startTime(window[0]), maker.endTime(window[1]))),
        maker.maxResults(str(page_size)),
        maker.searchResultPostion(str(position)),  # sic: the device's spelling
        maker.metadataList(maker.metadataDescriptor(ALL_RECORD_TYPES)),
        version="1.0",
    )
    return bytes(etree.tostring(document, xml_declaration=True, encoding="UTF-8"))


def _span(item: etree._Element, clock: WallClock, what: str) -> tuple[float, float]:
    span = item.find("{*}timeSpan")
    start_text = _text(span, "startTime") if span is not None else None
    end_text = _text(span, "endTime") if span is not None else None
    if start_text is None or end_text is None:
        raise RecorderError(Reason.PROTOCOL_ERROR, f"{what}: a match without its time span")
    try:
        start, end = clock.parse(start_text), clock.parse(end_text)
    except (ValueError, OverflowError, OSError):
        unreadable = f"{_device_text(start_text, 40)} .. {_device_text(end_text, 40)}"
        raise RecorderError(
            Reason.PROTOCOL_ERROR, f"{what}: unreadable time span {unreadable!r}"
        ) from None
    if end < start:
        raise RecorderError(
            Reason.PROTOCOL_ERROR, f"{what}: a recording that ends before it starts ({start_text})"
        )
    return start, end


def parse_search_page(content: bytes, clock: WallClock, what: str) -> SearchPage:
    root = parse_document(content, what, ("CMSearchResult",))
    status = " ".join((_text(root, "responseStatusStrg") or "OK").upper().split())
    if status not in SEARCH_STATUSES:
        raise RecorderError(
            Reason.PROTOCOL_ERROR, f"{what}: the search failed: {_device_text(status, 40)}"
        )
    items = root.iterfind("{*}matchList/{*}searchMatchItem")
    return SearchPage(status, tuple(_span(item, clock, what) for item in items))


def clip(spans: Iterable[tuple[float, float]], start: float, end: float) -> tuple[Segment, ...]:
    """The spans clipped to [start, end), empty ones dropped, exact repeats once, in order."""
    clipped = {(max(a, start), min(b, end)) for a, b in spans}
    return tuple(sorted(Segment(a, b) for a, b in clipped if b > a))


# -- the recorder -------------------------------------------------------------------------
class HikvisionRecorder:
    """A Hikvision NVR or DVR spoken to over ISAPI (see the module docstring)."""

    kind: ClassVar[str] = "hikvision"

    def __init__(self, endpoint: RecorderEndpoint, *, z_is_utc: bool | None = None) -> None:
        z_is_utc = endpoint.utc_times if z_is_utc is None else z_is_utc
        self.endpoint = endpoint
        self.clock = WallClock(endpoint.timezone, z_is_utc)
        self._http = IsapiHttp(endpoint)

    async def _fetch(
        self, method: str, path: str, deadline: Deadline, what: str, body: bytes | None = None
    ) -> bytes:
        try:
            return await self._http.request(
                method,
                path,
                deadline,
                body=body,
                content_type=XML_CONTENT_TYPE if body is not None else None,
                what=what,
            )
        except IsapiRefusal as refusal:
            raise refusal.regarding(what) from None

    async def disks(self, deadline: Deadline) -> tuple[Disk, ...]:
        return parse_disks(await self._fetch("GET", STORAGE_PATH, deadline, "storage"))

    async def channels(self, deadline: Deadline) -> tuple[Channel, ...]:
        """The first source that lists channels; refusals only move on to the next one."""
        refusals: list[IsapiRefusal] = []
        for source in CHANNEL_SOURCES:
            try:
                content = await self._fetch("GET", source.path, deadline, source.what)
                channels = parse_channels(content, source)
            except IsapiRefusal as refusal:
                if not refusal.not_supported:
                    raise
                refusals.append(refusal)
                continue
            if channels:
                return channels
        if len(refusals) == len(CHANNEL_SOURCES):
            raise refusals[0]
        return ()

    async def segments(
        self, channel: int, start: float, end: float, deadline: Deadline
    ) -> tuple[Segment, ...]:
        if end <= start:
            return ()
        what = f"recording search (channel {channel})"
        window = (self.clock.format(math.floor(start)), self.clock.format(math.ceil(end)))
        spans = await self._search(channel * 100 + MAIN_STREAM, window, deadline, what)
        return clip(spans, start, end)

    async def _search(
        self, track: int, window: tuple[str, str], deadline: Deadline, what: str
    ) -> list[tuple[float, float]]:
        """Every hit of one search, page after page, under the deadline and the caps."""
        search_id = str(uuid.uuid4()).upper()  # one search: the same id on every page
        spans: list[tuple[float, float]] = []
        previous: SearchPage | None = None
        while True:
            description = search_description(search_id, track, window, len(spans), PAGE_SIZE)
            content = await self._fetch("POST", SEARCH_PATH, deadline, what, description)
            page = parse_search_page(content, self.clock, what)
            if page.status == "NO MATCHES":
                return spans
            _check_progress(page, previous, what)
            spans += page.spans
            if len(spans) > MAX_MATCHES:
                raise RecorderError(
                    Reason.PROTOCOL_ERROR,
                    f"{what}: more than {MAX_MATCHES} recordings and still MORE; "
                    "the NVR seems to page forever",
                )
            if page.status == "OK":
                return spans
            previous = page

    async def close(self) -> None:
        await self._http.close()


def _check_progress(page: SearchPage, previous: SearchPage | None, what: str) -> None:
    """Refuse a MORE that would loop: no hit at all, or the previous page again."""
    if page.status != "MORE":
        return
    if not page.spans:
        raise RecorderError(
            Reason.PROTOCOL_ERROR, f"{what}: the NVR says MORE but returned no recording"
        )
    if previous is not None and previous.spans == page.spans:
        raise RecorderError(
            Reason.PROTOCOL_ERROR,
            f"{what}: the NVR returned the same page again (searchResultPostion ignored)",
        )
