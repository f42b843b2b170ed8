"""A simulated Hikvision NVR (DS-7700 series, firmware V4.x) speaking ISAPI.

Serves, behind HTTP Digest authentication like the real firmware:

- ``GET /ISAPI/System/deviceInfo``
- ``GET /ISAPI/ContentMgmt/Storage`` -- one ``hdd`` per simulated disk, sizes in MiB; a
  failed disk (``disk: error``) shows ``status`` ``error`` and no free space. As on real
  firmware the ``hddList`` redeclares the ver10 namespace inside a ver20 ``storage``.
- ``GET /ISAPI/ContentMgmt/InputProxy/channels/status`` and ``.../InputProxy/channels``
- ``POST /ISAPI/ContentMgmt/search`` -- the recorded files of a track (``channel * 100
  + 1``), whole files (not clipped to the window), at most `PAGE_CAP` a page whatever
  ``maxResults`` asks, ``MORE`` until the last page (``OK``), ``NO MATCHES`` when none.

Times are written as the NVR's local wall clock followed by ``Z``, the form these
firmwares write; a search window in that form (or without a suffix) is read as local
time, one with an explicit offset as that instant. Refusals are ``ResponseStatus``
documents: 403 ``methodNotAllowed`` for a wrong method, 404 ``notSupport`` for an
unknown URL, 400 ``badXmlFormat`` / ``badXmlContent`` for a search that cannot be read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from aiohttp import web
from lxml import etree

from monitor.safe_xml import safe_parser
from monitor.simulator.digest import DigestAuthority
from monitor.simulator.nvr.recorder import FILE_SECONDS, SimulatedNvr, local_time

NAMESPACE = "http://www.hikvision.com/ver20/XMLSchema"
OLD_NAMESPACE = "http://www.hikvision.com/ver10/XMLSchema"
XML_TYPE = 'application/xml; charset="UTF-8"'
PAGE_CAP = 100  # matches per page, whatever maxResults asks: clients must page
DEFAULT_MAX_RESULTS = 40
MAX_REQUEST_BYTES = 64 * 1024
MIB = 1024 * 1024
STREAM_BYTES_PER_SECOND = 4_000_000 // 8  # for the `size` of a playback URI

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_TIME = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?\s*"
)


class BadSearch(Exception):
    """The search description cannot be used; the ResponseStatus the firmware answers."""

    def __init__(self, code: int, meaning: str, sub_status: str) -> None:
        super().__init__(sub_status)
        self.code, self.meaning, self.sub_status = code, meaning, sub_status


def _bad_format() -> BadSearch:
    return BadSearch(5, "Invalid XML Format", "badXmlFormat")


def _bad_content() -> BadSearch:
    return BadSearch(6, "Invalid XML Content", "badXmlContent")


# -- documents ----------------------------------------------------------------------------
def _element(parent: etree._Element, name: str, text: object = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{NAMESPACE}}}{name}")
    if text is not None:
        child.text = str(text)
    return child


def _root(name: str, namespace: str = NAMESPACE, version: str = "2.0") -> etree._Element:
    return etree.Element(f"{{{namespace}}}{name}", nsmap={None: namespace}, version=version)


def _answer(root: etree._Element, status: int = 200) -> web.Response:
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return web.Response(status=status, body=body, headers={"Content-Type": XML_TYPE})


def response_status(
    request: web.Request, http_status: int, code: int, meaning: str, sub_status: str
) -> web.Response:
    root = _root("ResponseStatus", version="1.0")
    _element(root, "requestURL", request.path)
    _element(root, "statusCode", code)
    _element(root, "statusString", meaning)
    _element(root, "subStatusCode", sub_status)
    return _answer(root, http_status)


def _mib(size_bytes: int) -> int:
    return size_bytes // MIB


def _wall_clock(nvr: SimulatedNvr, at: float) -> str:
    """The firmware's form: local wall-clock time, then ``Z`` all the same."""
    return local_time(nvr, at).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- handlers -----------------------------------------------------------------------------
def device_info(nvr: SimulatedNvr) -> web.Response:
    manufacturer, model, firmware = nvr.model
    version, _, build = firmware.partition(" build ")
    root = _root("DeviceInfo")
    _element(root, "deviceName", f"{manufacturer} {nvr.id}")
    _element(root, "deviceID", f"48484b34-{nvr.serial[-8:].lower()}-0000-0000-000000000000")
    _element(root, "deviceDescription", "NVR")
    _element(root, "model", model)
    _element(root, "serialNumber", f"{model}{nvr.serial}CCRR00000000WCVU")
    _element(root, "macAddress", "c0:56:e3:00:00:01")
    _element(root, "firmwareVersion", version)
    _element(root, "firmwareReleasedDate", f"build {build}" if build else "")
    _element(root, "encoderVersion", "V5.0")
    _element(root, "encoderReleasedDate", "build 220602")
    _element(root, "deviceType", "NVR")
    _element(root, "telecontrolID", 255)
    return _answer(root)


def storage(nvr: SimulatedNvr) -> web.Response:
    root = _root("storage")
    disks = nvr.disks()
    hdd_list = etree.SubElement(
        root,
        f"{{{OLD_NAMESPACE}}}hddList",
        nsmap={None: OLD_NAMESPACE},
        version="1.0",
        size=str(len(disks) * 8),
    )
    for disk in disks:
        hdd = etree.SubElement(hdd_list, f"{{{OLD_NAMESPACE}}}hdd", version="1.0")
        for name, value in (
            ("id", disk.id),
            ("hddName", disk.name),
            ("hddPath", ""),
            ("hddType", "SATA"),
            ("status", "error" if disk.failed else "ok"),
            ("capacity", _mib(disk.capacity_bytes)),
            ("freeSpace", _mib(disk.free_bytes)),
            ("property", "RW"),
            ("group", 1),
        ):
            etree.SubElement(hdd, f"{{{OLD_NAMESPACE}}}{name}").text = str(value)
    nas_list = _element(root, "nasList")
    nas_list.set("version", "2.0")
    _element(root, "workMode", "group")
    return _answer(root)


def _camera_address(number: int) -> str:
    # Cameras on an NVR's PoE ports get 192.168.254.x; the address is only reported.
    return f"192.168.254.{number + 1}"


def _source_descriptor(parent: etree._Element, nvr: SimulatedNvr, number: int) -> None:
    source = _element(parent, "sourceInputPortDescriptor")
    _element(source, "proxyProtocol", "HIKVISION")
    _element(source, "addressingFormatType", "ipaddress")
    _element(source, "ipAddress", _camera_address(number))
    _element(source, "managePortNo", 8000)
    _element(source, "srcInputPort", 1)
    _element(source, "userName", nvr.username)
    _element(source, "streamType", "auto")


def channel_status(nvr: SimulatedNvr) -> web.Response:
    root = _root("InputProxyChannelStatusList", version="1.0")
    root.set("size", str(len(nvr.channels)))
    for number in sorted(nvr.channels):
        entry = _element(root, "InputProxyChannelStatus")
        entry.set("version", "1.0")
        _element(entry, "id", number)
        _source_descriptor(entry, nvr, number)
        _element(entry, "online", "true")
        streams = _element(entry, "streamingProxyChannelIdList")
        _element(streams, "streamingProxyChannelId", number * 100 + 1)
        _element(entry, "chanDetectResult", "connect")
    return _answer(root)


def proxy_channels(nvr: SimulatedNvr) -> web.Response:
    root = _root("InputProxyChannelList", version="1.0")
    root.set("size", str(len(nvr.channels)))
    for number in sorted(nvr.channels):
        entry = _element(root, "InputProxyChannel")
        entry.set("version", "1.0")
        _element(entry, "id", number)
        _element(entry, "name", nvr.channels[number].name)
        _source_descriptor(entry, nvr, number)
        _element(entry, "enableAnr", "false")
        _element(entry, "enableTiming", "true")
    return _answer(root)


# -- recording search ---------------------------------------------------------------------
@dataclass(frozen=True)
class SearchRequest:
    search_id: str
    track: int
    start: float
    end: float
    max_results: int
    position: int


def _read_time(nvr: SimulatedNvr, text: str | None) -> float:
    match = _TIME.fullmatch(text or "")
    if match is None:
        raise _bad_content()
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    try:
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise _bad_content() from None
    suffix = match.group(7)
    if suffix and suffix != "Z":
        sign = -1 if suffix[0] == "-" else 1
        offset = timedelta(hours=int(suffix[1:3]), minutes=int(suffix[4:6]))
        return naive.replace(tzinfo=timezone(sign * offset)).timestamp()
    return naive.replace(tzinfo=nvr.timezone).timestamp()


def _number(root: etree._Element, path: str, default: int | None = None) -> int:
    text = root.findtext(path)
    if text is None and default is not None:
        return default
    try:
        return int((text or "").strip())
    except ValueError:
        raise _bad_content() from None


def read_search(nvr: SimulatedNvr, body: bytes) -> SearchRequest:
    if b"<!DOCTYPE" in body.upper():
        raise _bad_format()
    try:
        root = etree.fromstring(body, safe_parser())
    except etree.XMLSyntaxError:
        raise _bad_format() from None
    if etree.QName(root).localname != "CMSearchDescription":
        raise _bad_content()
    # The documented trackIDList, or the trackList the firmware's own web page sends.
    track_path = "{*}trackIDList/{*}trackID"
    if root.find(track_path) is None:
        track_path = "{*}trackList/{*}trackID"
    span = root.find("{*}timeSpanList/{*}timeSpan")
    if span is None:
        raise _bad_content()
    return SearchRequest(
        search_id=(root.findtext("{*}searchID") or "").strip(),
        track=_number(root, track_path),
        start=_read_time(nvr, span.findtext("{*}startTime")),
        end=_read_time(nvr, span.findtext("{*}endTime")),
        max_results=max(1, _number(root, "{*}maxResults", DEFAULT_MAX_RESULTS)),
        position=max(0, _number(root, "{*}searchResultPostion", 0)),  # sic
    )


def recorded_files(nvr: SimulatedNvr, search: SearchRequest) -> list[tuple[float, float]]:
    """Whole files overlapping the window, as the firmware returns them (not clipped)."""
    channel, stream = divmod(search.track, 100)
    if stream != 1 or search.end <= search.start:
        return []  # only the main stream is recorded
    # Files never cross an hour boundary: widen the window to whole hours, then keep
    # the files that overlap what was asked.
    since = math.floor(search.start / FILE_SECONDS) * FILE_SECONDS
    until = math.ceil(search.end / FILE_SECONDS) * FILE_SECONDS
    return [
        (a, b) for a, b in nvr.files(channel, since, until) if b > search.start and a < search.end
    ]


def _playback_uri(nvr: SimulatedNvr, track: int, start: float, end: float, index: int) -> str:
    def compact(at: float) -> str:
        return local_time(nvr, at).strftime("%Y%m%dT%H%M%SZ")

    size = int((end - start) * STREAM_BYTES_PER_SECOND)
    return (
        f"rtsp://{nvr.host}/Streaming/tracks/{track}/?starttime={compact(start)}"
        f"&endtime={compact(end)}&name=ch{track // 100:02d}_{index:017d}&size={size}"
    )


def _match_item(
    nvr: SimulatedNvr, track: int, span: tuple[float, float], index: int
) -> etree._Element:
    start, end = span
    item = etree.Element(f"{{{NAMESPACE}}}searchMatchItem")
    _element(item, "sourceID", "{0000000000-0000-0000-0000-000000000000}")
    _element(item, "trackID", track)
    time_span = _element(item, "timeSpan")
    _element(time_span, "startTime", _wall_clock(nvr, start))
    _element(time_span, "endTime", _wall_clock(nvr, end))
    media = _element(item, "mediaSegmentDescriptor")
    _element(media, "contentType", "video")
    _element(media, "codecType", "H.264-BP")
    _element(media, "playbackURI", _playback_uri(nvr, track, start, end, index))
    _element(media, "lockStatus", "unlock")
    metadata = _element(item, "metadataMatches")
    _element(metadata, "metadataDescriptor", "recordType.meta.hikvision.com/timing")
    return item


def search_result(nvr: SimulatedNvr, search: SearchRequest) -> web.Response:
    files = recorded_files(nvr, search)
    page = files[search.position : search.position + min(search.max_results, PAGE_CAP)]
    more = search.position + len(page) < len(files)
    root = _root("CMSearchResult")
    _element(root, "searchID", f"{{{search.search_id.lower()}}}")
    _element(root, "responseStatus", "true" if page else "false")
    _element(root, "responseStatusStrg", "MORE" if more else "OK" if page else "NO MATCHES")
    _element(root, "numOfMatches", len(page))
    match_list = _element(root, "matchList")
    for offset, span in enumerate(page):
        match_list.append(_match_item(nvr, search.track, span, search.position + offset + 1))
    return _answer(root)


# -- the application ----------------------------------------------------------------------
def application(nvr: SimulatedNvr, digest: DigestAuthority) -> web.Application:
    """The ISAPI web app of one simulated Hikvision NVR."""

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        challenge = nvr.check_digest(request, digest)
        return challenge if challenge is not None else await handler(request)

    def serve(build: Callable[[SimulatedNvr], web.Response]) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            return build(nvr)

        return handle

    async def search(request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            return response_status(request, 403, 4, "Invalid Operation", "methodNotAllowed")
        try:
            wanted = read_search(nvr, await request.read())
        except BadSearch as bad:
            return response_status(request, 400, bad.code, bad.meaning, bad.sub_status)
        return search_result(nvr, wanted)

    async def unknown(request: web.Request) -> web.StreamResponse:
        return response_status(request, 404, 4, "Invalid Operation", "notSupport")

    app = web.Application(middlewares=[authenticate], client_max_size=MAX_REQUEST_BYTES)
    app.router.add_get("/ISAPI/System/deviceInfo", serve(device_info))
    app.router.add_get("/ISAPI/ContentMgmt/Storage", serve(storage))
    app.router.add_get("/ISAPI/ContentMgmt/InputProxy/channels/status", serve(channel_status))
    app.router.add_get("/ISAPI/ContentMgmt/InputProxy/channels", serve(proxy_channels))
    app.router.add_route("*", "/ISAPI/ContentMgmt/search", search)
    app.router.add_route("*", "/{tail:.*}", unknown)
    return app
