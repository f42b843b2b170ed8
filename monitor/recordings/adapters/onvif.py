"""ONVIF Profile G recorders (any brand's NVR, over the standard's SOAP services).

Envelopes are built here as small string templates (every value escaped) and
answers read with the project's safe parser by local names, as the probes do
(`monitor.probing.answers`): that tolerates the prefixes, default namespaces and
SOAP 1.1/1.2 envelopes firmware uses, and costs nothing like zeep's schema
machinery. Requests are SOAP 1.2 with a WS-Security UsernameToken
(PasswordDigest), whose ``Created`` is shifted by the device's clock offset, read
first from the unauthenticated ``GetSystemDateAndTime``, as the probes do.

Services: ``GetServices`` on ``/onvif/device_service`` names the recording and
search services (``GetCapabilities`` on older firmware). Only the *path* of an
advertised address is used: every request goes to the configured host:port.

What each question costs, and what Profile G cannot say:

- disks: Profile G has no disk service. ``tds:GetStorageConfigurations`` (ONVIF
  16.12+) lists storage *targets* (token, type, local path, URI) but carries no
  health, capacity or free space, so each is a `Disk` with status ``unknown`` and
  no sizes. A device without it (``ter:ActionNotSupported`` or any other SOAP
  fault) has no disks to report: an empty tuple. Disk health over ONVIF exists
  only as the ``tns1:Device/HardwareFailure/StorageFailure`` event, which needs
  a pull-point subscription and is not read here.
- channels: ``trc:GetRecordings``; channel N is the N-th recording *in the order
  the device lists them* (NVRs list one recording per channel, in channel
  order; the standard itself does not number them). ``Channel.recording`` comes
  from ``GetRecordingJobs`` + ``GetRecordingJobState`` (Active / PartiallyActive
  record; Idle / Error do not), else from the job's configured Mode. A device
  that has no jobs for a recording says nothing (None); ``online`` is not
  available over ONVIF.
- segments: ``tse:FindEvents`` for ``tns1:RecordingHistory/Track/State`` events
  (``IsDataPresent`` true/false) of the channel's recording, with the start
  state, read with ``GetEventSearchResults`` until ``Completed`` and always
  closed with ``EndSearch``; the stretches are those of the recording's first
  video track. ``GetRecordingInformation`` bounds a stretch still open at the
  last event (its track ``DataTo`` / ``LatestRecording``). Devices that send no
  history events at all get one stretch [EarliestRecording, LatestRecording]
  (the video track's DataFrom/DataTo when given): gaps cannot be seen then.
  A device that is busy (a fault other than a missing FindEvents) is an error,
  never that fallback. EndSearch gets `END_SEARCH_GRACE_SECONDS` past the
  caller's deadline when need be: a recorder holds few searches open. A channel
  number beyond the device's recordings has no segments.

Vendor quirks this module is written around:

- SOAP faults come with HTTP 400 or 500 (the SOAP 1.2 binding), some with 200;
  a refused token is ``ter:NotAuthorized`` (some firmware: HTTP 401 instead).
  gSOAP-based firmware answers an operation it lacks with a fault without
  subcode ("Method ... not implemented"), not ``ter:ActionNotSupported``.
- Some firmware reports local time as UTC in GetSystemDateAndTime but checks
  tokens against true UTC: a refused token with a large offset is retried once
  unshifted (the probes do the same).
- Devices ignore the search filter and return other topics
  (``Track/VideoParameters``, ``Configuration/Profile``), events of audio and
  metadata tracks, ``RecordingHistory/Recording/State`` (``IsRecording``) events,
  and results out of time order: only the chosen track's state events count,
  sorted by time.
- At one instant, "data gone" is applied before "data present": contiguous
  files report the end of one and the start of the next with the same time.
- Times are xs:dateTime in UTC (``Z``), with or without fractions (up to 7
  digits), sometimes with an explicit offset; one without any zone is read as
  UTC, as ONVIF defines every time it carries. An empty track reports its
  DataFrom and DataTo as 1970-01-01T00:00:00Z: no data.
- Advertised service addresses may name another host or port (NAT, a second
  interface): only their path is used.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import math
import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import aiohttp
from aiohttp import ClientHandlerType
from lxml import etree

from monitor.probing.deadline import Deadline
from monitor.probing.errors import StageFailure
from monitor.probing.onvif import WS_SECURITY_WINDOW_SECONDS
from monitor.probing.result import Reason
from monitor.probing.transport import check_xml, read_limited
from monitor.recordings.adapters.base import RecorderEndpoint, RecorderHttp
from monitor.recordings.model import Channel, Disk, RecorderError, Segment

SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
NS_DEVICE = "http://www.onvif.org/ver10/device/wsdl"
NS_RECORDING = "http://www.onvif.org/ver10/recording/wsdl"
NS_SEARCH = "http://www.onvif.org/ver10/search/wsdl"
NS_SCHEMA = "http://www.onvif.org/ver10/schema"
NS_TOPICS = "http://www.onvif.org/ver10/topics"
NS_NOTIFICATION = "http://docs.oasis-open.org/wsn/b-2"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PASSWORD_DIGEST = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    "#PasswordDigest"
)
BASE64_BINARY = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)
CONCRETE_SET = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"
TRACK_STATE_TOPIC = "RecordingHistory/Track/State"
RECORDING_STATE_TOPIC = "RecordingHistory/Recording/State"

DEVICE_PATH = "/onvif/device_service"
SOAP_CONTENT_TYPE = "application/soap+xml; charset=utf-8"

PAGE_SIZE = 500  # asked per GetEventSearchResults; devices answer their own page size
MAX_RESULTS = 10_000  # per search: more is a device that pages forever
MAX_PAGES = 400  # GetEventSearchResults calls per search, empty "Searching" pages included
MAX_RECORDINGS = 1024
MAX_JOBS = 1024
SEARCH_KEEP_ALIVE = "PT10S"  # a search the device drops by itself if EndSearch never comes
RESULT_WAIT = "PT1S"
END_SEARCH_GRACE_SECONDS = 2.0  # for EndSearch, after the caller's deadline if need be
# The clock offset and service addresses are read again after this long.
PREPARED_SECONDS = 600.0
# The recording list (channel numbering) is read again after this long.
RECORDINGS_SECONDS = 300.0
FAULT_BODY_BYTES = 64 * 1024
DETAIL_CHARS = 80

RECORDING_JOB_STATES: dict[str, bool] = {
    "active": True,
    "partiallyactive": True,
    "idle": False,
    "error": False,
}
_UNPRINTABLE = re.compile(r"[^\x20-\x7e\u00a0-\uffff]+")
_UNSUPPORTED_WORDS = ("not implemented", "not supported", "not recognized", "unsupported")
_AUTH_WORDS = ("not authorized", "notauthorized", "unauthorized", "authority failure")


# -- SOAP faults ----------------------------------------------------------------------------
class RefusedAnswer(RecorderError):
    """An answer refused inside the HTTP session, before it is known which operation asked."""

    def regarding(self, what: str) -> RefusedAnswer:
        """This error, its detail prefixed with the operation (a fresh error per answer)."""
        self.detail = f"{what}: {self.detail}"
        self.args = (self.detail,)
        return self


class SoapFault(RefusedAnswer):
    """A SOAP fault the device answered: the device is up and refused this request."""

    def __init__(self, codes: tuple[str, ...], text: str, http_status: int) -> None:
        self.codes = codes  # local names: Code/Value, then each Subcode/Value (or faultcode)
        self.text = text
        self.http_status = http_status
        said = "/".join(codes[1:] or codes) or "no code"
        reason = Reason.AUTH_FAILED if self.not_authorized else Reason.PROTOCOL_ERROR
        super().__init__(reason, f"SOAP fault {said}: {text or 'no reason given'}")

    @property
    def not_authorized(self) -> bool:
        return "notauthorized" in {c.lower() for c in self.codes} or any(
            word in self.text.lower() for word in _AUTH_WORDS
        )

    @property
    def unsupported(self) -> bool:
        """The device lacks the operation (ter:ActionNotSupported, or gSOAP's words for it)."""
        codes = {c.lower() for c in self.codes}
        return bool(codes & {"actionnotsupported", "notsupported"}) or any(
            word in self.text.lower() for word in _UNSUPPORTED_WORDS
        )


def _local(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _children(element: etree._Element | None, name: str) -> list[etree._Element]:
    if element is None:
        return []
    return [child for child in element if _local(child) == name]


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _text(element: etree._Element | None, name: str | None = None) -> str:
    """Stripped text of `element` (or of its child `name`), "" when absent."""
    if name is not None:
        element = _child(element, name)
    return (element.text or "").strip() if element is not None else ""


def _device_words(text: str, limit: int = DETAIL_CHARS) -> str:
    """A device's words, safe for a detail: printable, one line, short."""
    return _UNPRINTABLE.sub(" ", text).strip()[:limit]


def _fault_codes(fault: etree._Element) -> tuple[str, ...]:
    code = _child(fault, "Code")
    if code is None:  # SOAP 1.1: faultcode, e.g. "SOAP-ENV:Client" or "ter:NotAuthorized"
        faultcode = _text(fault, "faultcode")
        return (faultcode.rpartition(":")[2],) if faultcode else ()
    codes: list[str] = []
    level: etree._Element | None = code
    while level is not None and len(codes) < 8:
        value = _text(level, "Value")
        if value:
            codes.append(value.rpartition(":")[2])
        level = _child(level, "Subcode")
    return tuple(codes)


def fault_of(root: etree._Element, http_status: int) -> SoapFault | None:
    """The fault in a SOAP envelope (1.1 or 1.2), None when it carries none."""
    body = _child(root, "Body")
    fault = _child(body, "Fault")
    if fault is None:
        return None
    reason = _text(_child(fault, "Reason"), "Text") or _text(fault, "faultstring")
    return SoapFault(_fault_codes(fault), _device_words(reason), http_status)


def _checked_xml(content: bytes, what: str) -> etree._Element:
    """The root of an answer; refused when it carries a DTD or is not well-formed XML."""
    try:
        return check_xml(content)
    except StageFailure as exc:
        raise RecorderError(exc.reason, f"{what}: {exc.detail}") from None


def parse_answer(
    content: bytes, expected: str, what: str, http_status: int = 200
) -> etree._Element:
    """The `expected` element (by local name) of a SOAP answer, or a classified failure."""
    root = _checked_xml(content, what)
    if _local(root) != "Envelope":
        raise RecorderError(
            Reason.PROTOCOL_ERROR, f"{what}: not a SOAP envelope but <{_local(root)[:40]}>"
        )
    fault = fault_of(root, http_status)
    if fault is not None:
        raise fault.regarding(what)
    body = _child(root, "Body")
    found = _child(body, expected)
    if found is None and body is not None:
        # Some firmware wraps the answer once more; look deeper before giving up.
        found = next(body.iterfind(f".//{{*}}{expected}"), None)
    if found is None:
        raise RecorderError(Reason.PROTOCOL_ERROR, f"{what}: the answer has no {expected}")
    return found


async def _read_soap_faults(
    request: aiohttp.ClientRequest, handler: ClientHandlerType
) -> aiohttp.ClientResponse:
    """Client middleware: raise the `SoapFault` an HTTP 4xx/5xx answer carries.

    A refused token (ter:NotAuthorized) and a missing operation
    (ter:ActionNotSupported) both come as HTTP 400/500, and only the fault
    tells them apart; `RecorderHttp` refuses those statuses unread. Any other
    answer is returned as it is, for `RecorderHttp` to judge by its status.
    """
    response = await handler(request)
    if response.status < 400 or response.status in (401, 403):
        return response
    body = await read_limited(response, FAULT_BODY_BYTES)
    if not body or b"Envelope" not in body[:2048]:
        return response
    try:
        root = check_xml(body)
    except StageFailure as exc:
        response.release()
        raise RefusedAnswer(exc.reason, f"HTTP {response.status}: {exc.detail}") from None
    fault = fault_of(root, response.status) if _local(root) == "Envelope" else None
    if fault is None:
        return response
    response.release()
    raise fault


# -- envelopes ------------------------------------------------------------------------------
def _xml(value: object) -> str:
    return escape(str(value), {'"': "&quot;"})


def xs_datetime(at: float, *, millis: bool = False) -> str:
    moment = datetime.fromtimestamp(at, UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_xs_datetime(text: str) -> float | None:
    """POSIX seconds of an xs:dateTime; no zone means UTC (ONVIF times are UTC)."""
    value = text.strip().upper()
    if not value or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """Base64(SHA1(nonce + created + password)): the UsernameToken PasswordDigest."""
    raw = hashlib.sha1(nonce + created.encode("utf-8") + password.encode("utf-8")).digest()
    return base64.b64encode(raw).decode("ascii")


def security_header(username: str, password: str, created_at: float) -> str:
    nonce = os.urandom(16)
    created = xs_datetime(created_at, millis=True)
    return (
        f'<wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}"><wsse:UsernameToken>'
        f"<wsse:Username>{_xml(username)}</wsse:Username>"
        f'<wsse:Password Type="{PASSWORD_DIGEST}">'
        f"{password_digest(nonce, created, password)}</wsse:Password>"
        f'<wsse:Nonce EncodingType="{BASE64_BINARY}">'
        f"{base64.b64encode(nonce).decode('ascii')}</wsse:Nonce>"
        f"<wsu:Created>{created}</wsu:Created>"
        "</wsse:UsernameToken></wsse:Security>"
    )


def envelope(body: str, security: str = "") -> bytes:
    """A SOAP 1.2 envelope; `body` may use the tds, trc, tse, tt, wsnt and tns1 prefixes."""
    header = f"<s:Header>{security}</s:Header>" if security else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<s:Envelope xmlns:s="{SOAP12_ENV}" xmlns:tds="{NS_DEVICE}" '
        f'xmlns:trc="{NS_RECORDING}" xmlns:tse="{NS_SEARCH}" xmlns:tt="{NS_SCHEMA}" '
        f'xmlns:wsnt="{NS_NOTIFICATION}" xmlns:tns1="{NS_TOPICS}">'
        f"{header}<s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


# -- what the answers say -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RecordingItem:
    token: str
    name: str
    video_tracks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RecordingInformation:
    earliest: float | None
    latest: float | None
    tracks: dict[str, tuple[float, float]]  # track token: (DataFrom, DataTo), with data only


@dataclass(frozen=True, slots=True)
class StateEvent:
    at: float
    present: bool
    track: str
    track_level: bool  # Track/State (IsDataPresent), else Recording/State (IsRecording)


def device_clock(response: etree._Element) -> float | None:
    """The UTC clock of a GetSystemDateAndTimeResponse, None when it gives none."""
    utc = _child(_child(response, "SystemDateAndTime"), "UTCDateTime")
    date, clock = _child(utc, "Date"), _child(utc, "Time")
    try:
        moment = datetime(
            int(_text(date, "Year")),
            int(_text(date, "Month")),
            int(_text(date, "Day")),
            int(_text(clock, "Hour")),
            int(_text(clock, "Minute")),
            int(_text(clock, "Second")),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    return moment.timestamp()


def service_paths(response: etree._Element) -> dict[str, str]:
    """Namespace → path of every service a GetServicesResponse lists."""
    found: dict[str, str] = {}
    for service in _children(response, "Service"):
        namespace, path = _text(service, "Namespace"), xaddr_path(_text(service, "XAddr"))
        if namespace and path:
            found[namespace] = path
    return found


def capability_paths(response: etree._Element) -> dict[str, str]:
    """Namespace → path from a GetCapabilitiesResponse (recording and search are extensions)."""
    found: dict[str, str] = {}
    for name, namespace in (("Recording", NS_RECORDING), ("Search", NS_SEARCH)):
        element = next(response.iterfind(f".//{{*}}{name}"), None)
        path = xaddr_path(_text(element, "XAddr"))
        if path:
            found[namespace] = path
    return found


def xaddr_path(xaddr: str) -> str | None:
    """The path (and query) of an advertised address: requests keep to the configured host."""
    if not xaddr:
        return None
    try:
        parts = urlsplit(xaddr.split()[0])
    except ValueError:
        return None
    path = parts.path if parts.path.startswith("/") else "/" + parts.path
    return path + (f"?{parts.query}" if parts.query else "")


def disks_of(response: etree._Element) -> tuple[Disk, ...]:
    disks = []
    for index, storage in enumerate(_children(response, "StorageConfigurations"), 1):
        data = _child(storage, "Data")
        token = _device_words(storage.get("token") or "", 64) or str(index)
        where = _text(data, "LocalPath") or _without_userinfo(_text(data, "StorageUri"))
        kind = _device_words((data.get("type") if data is not None else "") or "", 24)
        name = " ".join(part for part in (kind, _device_words(where)) if part) or token
        disks.append(
            Disk(id=token, name=name, status="unknown", capacity_bytes=None, free_bytes=None)
        )
    return tuple(disks)


def _without_userinfo(uri: str) -> str:
    """A storage URI without the user and password some firmware writes into it."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return ""
    if "@" not in parts.netloc:
        return uri
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=host).geturl()


def recordings_of(response: etree._Element, what: str) -> tuple[RecordingItem, ...]:
    items = _children(response, "RecordingItem")
    if len(items) > MAX_RECORDINGS:
        raise RecorderError(
            Reason.PROTOCOL_ERROR, f"{what}: {len(items)} recordings, more than {MAX_RECORDINGS}"
        )
    recordings = []
    for item in items:
        token = _text(item, "RecordingToken")
        if not token:
            raise RecorderError(Reason.PROTOCOL_ERROR, f"{what}: a recording without a token")
        source = _child(_child(item, "Configuration"), "Source")
        name = _text(source, "Name") or _text(_child(item, "Configuration"), "Content")
        video = tuple(
            _text(track, "TrackToken")
            for track in _children(_child(item, "Tracks"), "Track")
            if _text(_child(track, "Configuration"), "TrackType").lower() == "video"
        )
        recordings.append(RecordingItem(token, _device_words(name), video))
    return tuple(recordings)


def information_of(response: etree._Element) -> RecordingInformation:
    info = _child(response, "RecordingInformation")
    tracks: dict[str, tuple[float, float]] = {}
    for track in _children(info, "Track"):
        if _text(track, "TrackType").lower() not in ("video", ""):
            continue
        data_from = parse_xs_datetime(_text(track, "DataFrom"))
        data_to = parse_xs_datetime(_text(track, "DataTo"))
        if data_from is not None and data_to is not None and data_to > max(data_from, 0.0):
            tracks[_text(track, "TrackToken")] = (data_from, data_to)
    earliest = parse_xs_datetime(_text(info, "EarliestRecording"))
    latest = parse_xs_datetime(_text(info, "LatestRecording"))
    if earliest is not None and latest is not None and latest <= max(earliest, 0.0):
        earliest = latest = None  # the epoch pair of a recording without data
    return RecordingInformation(earliest, latest, tracks)


def _simple_items(message: etree._Element | None, part: str) -> dict[str, str]:
    return {
        item.get("Name") or "": item.get("Value") or ""
        for item in _children(_child(message, part), "SimpleItem")
    }


def _flag(value: str, what: str) -> bool:
    word = value.strip().lower()
    if word in ("true", "1"):
        return True
    if word in ("false", "0"):
        return False
    raise RecorderError(
        Reason.PROTOCOL_ERROR, f"{what}: a state event says {_device_words(value, 20)!r}"
    )


def state_event(result: etree._Element, recording: str, what: str) -> StateEvent | None:
    """The RecordingHistory state a FindEventResult reports; None for anything else."""
    event = _child(result, "Event")
    topic = _text(event, "Topic")
    track_level = topic.endswith(TRACK_STATE_TOPIC)
    if not (track_level or topic.endswith(RECORDING_STATE_TOPIC)):
        return None
    token = _text(result, "RecordingToken")
    if token and token != recording:
        return None  # a device that ignored the search scope
    message = _child(_child(event, "Message"), "Message")
    data = _simple_items(message, "Data")
    value = data.get("IsDataPresent" if track_level else "IsRecording")
    if value is None:
        return None
    at = parse_xs_datetime(_text(result, "Time")) or parse_xs_datetime(
        (message.get("UtcTime") if message is not None else None) or ""
    )
    if at is None:
        raise RecorderError(Reason.PROTOCOL_ERROR, f"{what}: a state event without a valid time")
    track = _text(result, "TrackToken") or _simple_items(message, "Source").get("Track", "")
    return StateEvent(at, _flag(value, what), track, track_level)


def chosen_track(events: Sequence[StateEvent], video_tracks: Sequence[str]) -> list[StateEvent]:
    """The events of the track whose stretches are the channel's footage.

    The recording's first video track with events; when the device names its
    tracks otherwise, a track called video, else the track with the most
    events. Recording-level events only when there are no track events.
    """
    by_track: dict[str, list[StateEvent]] = {}
    for event in events:
        if event.track_level:
            by_track.setdefault(event.track, []).append(event)
    if not by_track:
        return [event for event in events if not event.track_level]
    for token in video_tracks:
        if token in by_track:
            return by_track[token]
    for token, track_events in by_track.items():
        if "video" in token.lower():
            return track_events
    return max(by_track.values(), key=len)


def stretches(
    events: Iterable[StateEvent], start: float, end: float, open_until: float | None
) -> list[Segment]:
    """The stretches [data present, data gone) of one track's events, clipped to [start, end).

    A first event saying "gone" means the data was present from before `start`.
    A stretch still open after the last event ends at `open_until` (what the
    device says its data reaches) when that is later than its start, else at `end`.
    """
    out: list[Segment] = []
    opened: float | None = None
    first = True
    # At one instant, "gone" before "present": contiguous files share a boundary.
    for event in sorted(events, key=lambda e: (e.at, e.present)):
        if event.present:
            if opened is None:
                opened = max(event.at, start)
        else:
            if opened is None and first:
                opened = start
            if opened is not None:
                out.append(Segment(opened, min(event.at, end)))
                opened = None
        first = False
    if opened is not None:
        tail = open_until if open_until is not None and open_until > opened else end
        out.append(Segment(opened, min(tail, end)))
    return [segment for segment in out if segment.end > segment.start]


def information_range(
    info: RecordingInformation, video_tracks: Sequence[str]
) -> tuple[float, float] | None:
    """Where the recording's data lies: the video track's DataFrom/DataTo, else Earliest/Latest."""
    for token in (*video_tracks, *info.tracks):
        if token in info.tracks:
            return info.tracks[token]
    if info.earliest is not None and info.latest is not None:
        return info.earliest, info.latest
    return None


def _whole_range(
    info: RecordingInformation, item: RecordingItem, start: float, end: float
) -> tuple[Segment, ...]:
    """No history events: one stretch from the oldest to the newest data, gaps unseen."""
    data = information_range(info, item.video_tracks)
    if data is None or min(data[1], end) <= max(data[0], start):
        return ()
    return (Segment(max(data[0], start), min(data[1], end)),)


# -- the recorder ---------------------------------------------------------------------------
class OnvifRecorder:
    """One ONVIF Profile G recorder (see the module docstring for what it can tell)."""

    kind: ClassVar[str] = "onvif"

    def __init__(self, endpoint: RecorderEndpoint) -> None:
        self.endpoint = endpoint
        self.max_results = MAX_RESULTS
        self._http = RecorderHttp(endpoint, extra_middlewares=(_read_soap_faults,))
        self._offset = 0.0  # device clock minus ours, seconds
        self._unshifted_tried = False
        self._paths: dict[str, str] = {}
        self._prepared_at: float | None = None
        self._recordings: tuple[RecordingItem, ...] | None = None
        self._recordings_at = 0.0

    def __repr__(self) -> str:
        return f"OnvifRecorder({self.endpoint.nvr_id!r} at {self.endpoint.address})"

    async def close(self) -> None:
        await self._http.close()

    # -- the three questions ------------------------------------------------------------------
    async def disks(self, deadline: Deadline) -> tuple[Disk, ...]:
        await self._prepare(deadline)
        try:
            response = await self._call(
                DEVICE_PATH, "GetStorageConfigurations", "<tds:GetStorageConfigurations/>", deadline
            )
        except SoapFault as fault:
            if fault.not_authorized:
                raise
            return ()  # the device offers no storage list (ActionNotSupported and kin)
        return disks_of(response)

    async def channels(self, deadline: Deadline) -> tuple[Channel, ...]:
        await self._prepare(deadline)
        recordings = await self._recording_items(deadline, fresh=True)
        states = await self._job_states(deadline)
        return tuple(
            Channel(number=number, name=item.name, recording=states.get(item.token))
            for number, item in enumerate(recordings, 1)
        )

    async def segments(
        self, channel: int, start: float, end: float, deadline: Deadline
    ) -> tuple[Segment, ...]:
        if end <= start:
            return ()
        await self._prepare(deadline)
        recordings = await self._recording_items(deadline)
        if not 1 <= channel <= len(recordings):
            return ()  # a channel the device does not list has recorded nothing
        item = recordings[channel - 1]
        info = await self._information(item.token, deadline)
        events = await self._history_events(item.token, start, end, deadline)
        if events:
            data = information_range(info, item.video_tracks) if info is not None else None
            track = chosen_track(events, item.video_tracks)
            return tuple(stretches(track, start, end, data[1] if data else None))
        if info is not None:
            return _whole_range(info, item, start, end)
        if events is None:
            raise RecorderError(
                Reason.PROTOCOL_ERROR,
                f"channel {channel}: the device offers neither recording history events "
                "nor recording information",
            )
        return ()

    # -- preparation ----------------------------------------------------------------------------
    async def _prepare(self, deadline: Deadline) -> None:
        if (
            self._prepared_at is not None
            and time.monotonic() - self._prepared_at < PREPARED_SECONDS
        ):
            return
        self._offset = await self._measure_offset(deadline)
        self._unshifted_tried = False
        self._paths = await self._service_paths(deadline)
        self._prepared_at = time.monotonic()

    async def _measure_offset(self, deadline: Deadline) -> float:
        """The device clock minus ours, from the unauthenticated GetSystemDateAndTime."""
        sent = time.time()
        try:
            response = await self._call(
                DEVICE_PATH,
                "GetSystemDateAndTime",
                "<tds:GetSystemDateAndTime/>",
                deadline,
                signed=False,
            )
        except SoapFault:
            return 0.0  # answered only when signed: sign with our own clock
        received = time.time()
        device_time = device_clock(response)
        if device_time is None:
            return 0.0
        # The device reports whole seconds; compare with the midpoint of the exchange.
        return device_time - (sent + received) / 2

    async def _service_paths(self, deadline: Deadline) -> dict[str, str]:
        paths: dict[str, str] = {}
        try:
            paths = service_paths(
                await self._call(
                    DEVICE_PATH,
                    "GetServices",
                    "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability>"
                    "</tds:GetServices>",
                    deadline,
                )
            )
        except SoapFault as fault:
            if fault.not_authorized:
                raise
        if NS_RECORDING not in paths or NS_SEARCH not in paths:
            try:
                found = capability_paths(
                    await self._call(
                        DEVICE_PATH,
                        "GetCapabilities",
                        "<tds:GetCapabilities><tds:Category>All</tds:Category>"
                        "</tds:GetCapabilities>",
                        deadline,
                    )
                )
            except SoapFault as fault:
                if fault.not_authorized:
                    raise
                found = {}
            paths = {**found, **paths}
        return paths

    def _path(self, namespace: str) -> str:
        path = self._paths.get(namespace)
        if path is None:
            service = "recording" if namespace == NS_RECORDING else "search"
            raise RecorderError(
                Reason.PROTOCOL_ERROR,
                f"the device lists no ONVIF {service} service (not a Profile G recorder)",
            )
        return path

    # -- channels -------------------------------------------------------------------------------
    async def _recording_items(
        self, deadline: Deadline, *, fresh: bool = False
    ) -> tuple[RecordingItem, ...]:
        age = time.monotonic() - self._recordings_at
        if self._recordings is None or fresh or age >= RECORDINGS_SECONDS:
            response = await self._call(
                self._path(NS_RECORDING), "GetRecordings", "<trc:GetRecordings/>", deadline
            )
            self._recordings = recordings_of(response, "GetRecordings")
            self._recordings_at = time.monotonic()
        return self._recordings

    async def _job_states(self, deadline: Deadline) -> dict[str, bool]:
        """Recording token → whether a job is recording it; absent when the device does not say."""
        path = self._path(NS_RECORDING)
        try:
            response = await self._call(
                path, "GetRecordingJobs", "<trc:GetRecordingJobs/>", deadline
            )
        except SoapFault as fault:
            if fault.not_authorized:
                raise
            return {}
        states: dict[str, bool] = {}
        for job in _children(response, "JobItem")[:MAX_JOBS]:
            configuration = _child(job, "JobConfiguration")
            recording = _text(configuration, "RecordingToken")
            if not recording:
                continue
            state = await self._job_state(path, _text(job, "JobToken"), deadline)
            if state is None:  # no state to read: the job's configured mode
                state = RECORDING_JOB_STATES.get(_text(configuration, "Mode").lower())
            if state is not None:
                states[recording] = states.get(recording, False) or state
        return states

    async def _job_state(self, path: str, job: str, deadline: Deadline) -> bool | None:
        if not job:
            return None
        try:
            response = await self._call(
                path,
                "GetRecordingJobState",
                f"<trc:GetRecordingJobState><trc:JobToken>{_xml(job)}</trc:JobToken>"
                "</trc:GetRecordingJobState>",
                deadline,
            )
        except SoapFault as fault:
            if fault.not_authorized:
                raise
            return None
        word = _text(_child(response, "State"), "State").lower()
        return RECORDING_JOB_STATES.get(word)

    # -- segments -------------------------------------------------------------------------------
    async def _information(self, token: str, deadline: Deadline) -> RecordingInformation | None:
        try:
            response = await self._call(
                self._path(NS_SEARCH),
                "GetRecordingInformation",
                "<tse:GetRecordingInformation>"
                f"<tse:RecordingToken>{_xml(token)}</tse:RecordingToken>"
                "</tse:GetRecordingInformation>",
                deadline,
            )
        except SoapFault as fault:
            if fault.not_authorized:
                raise
            return None
        return information_of(response)

    async def _history_events(
        self, token: str, start: float, end: float, deadline: Deadline
    ) -> list[StateEvent] | None:
        """The recording's history state events in [start, end); None when the device has no
        event search."""
        path = self._path(NS_SEARCH)
        body = (
            "<tse:FindEvents>"
            f"<tse:StartPoint>{xs_datetime(math.floor(start))}</tse:StartPoint>"
            f"<tse:EndPoint>{xs_datetime(math.ceil(end))}</tse:EndPoint>"
            f"<tse:Scope><tt:IncludedRecordings>{_xml(token)}</tt:IncludedRecordings></tse:Scope>"
            f'<tse:SearchFilter><wsnt:TopicExpression Dialect="{CONCRETE_SET}">'
            f"tns1:{TRACK_STATE_TOPIC}</wsnt:TopicExpression></tse:SearchFilter>"
            "<tse:IncludeStartState>true</tse:IncludeStartState>"
            # One more than we accept: a device with more stops there, and it is seen.
            f"<tse:MaxMatches>{self.max_results + 1}</tse:MaxMatches>"
            f"<tse:KeepAliveTime>{SEARCH_KEEP_ALIVE}</tse:KeepAliveTime>"
            "</tse:FindEvents>"
        )
        try:
            response = await self._call(path, "FindEvents", body, deadline)
        except SoapFault as fault:
            # Only a missing operation means "no history": a busy device (too many
            # searches) must not turn into footage without gaps.
            if fault.unsupported:
                return None
            raise
        search = _text(response, "SearchToken")
        if not search:
            raise RecorderError(Reason.PROTOCOL_ERROR, "FindEvents: the answer has no SearchToken")
        try:
            return await self._event_results(path, search, token, deadline)
        finally:
            await self._end_search(path, search, deadline)

    async def _event_results(
        self, path: str, search: str, token: str, deadline: Deadline
    ) -> list[StateEvent]:
        what = "GetEventSearchResults"
        body = (
            f"<tse:GetEventSearchResults><tse:SearchToken>{_xml(search)}</tse:SearchToken>"
            f"<tse:MinResults>1</tse:MinResults><tse:MaxResults>{PAGE_SIZE}</tse:MaxResults>"
            f"<tse:WaitTime>{RESULT_WAIT}</tse:WaitTime></tse:GetEventSearchResults>"
        )
        events: list[StateEvent] = []
        results = 0
        for _ in range(MAX_PAGES):
            result_list = _child(await self._call(path, what, body, deadline), "ResultList")
            page = _children(result_list, "Result")
            results += len(page)
            if results > self.max_results:
                raise RecorderError(
                    Reason.PROTOCOL_ERROR,
                    f"{what}: more than {self.max_results} results for one search; "
                    "refused (a device that pages forever?)",
                )
            for result in page:
                event = state_event(result, token, what)
                if event is not None:
                    events.append(event)
            state = _text(result_list, "SearchState")
            # A missing or Unknown state with an empty page: firmware that drops the field.
            if state == "Completed" or (not page and state not in ("Searching", "Queued")):
                return events
        raise RecorderError(
            Reason.PROTOCOL_ERROR, f"{what}: the search did not complete in {MAX_PAGES} pages"
        )

    async def _end_search(self, path: str, search: str, deadline: Deadline) -> None:
        """Close the search, even after an error: a device holds few searches open at once."""
        if deadline.remaining() < END_SEARCH_GRACE_SECONDS:
            deadline = Deadline.after(END_SEARCH_GRACE_SECONDS)
        # On failure the device drops the search after KeepAliveTime, and the error that
        # ended the search (if any) is the one to report.
        with contextlib.suppress(RecorderError):
            await self._call(
                path,
                "EndSearch",
                f"<tse:EndSearch><tse:SearchToken>{_xml(search)}</tse:SearchToken></tse:EndSearch>",
                deadline,
            )

    # -- one exchange ---------------------------------------------------------------------------
    async def _call(
        self, path: str, operation: str, body: str, deadline: Deadline, *, signed: bool = True
    ) -> etree._Element:
        """The `operation`Response element of one exchange, signed with a fresh token."""
        try:
            return await self._exchange(path, operation, body, deadline, signed=signed)
        except SoapFault as fault:
            if not (signed and fault.not_authorized) or self._unshifted_tried:
                raise
            if abs(self._offset) <= WS_SECURITY_WINDOW_SECONDS:
                raise
        # Some firmware reports local time as UTC but checks tokens against true UTC:
        # an unshifted token is the only one such a device accepts.
        self._unshifted_tried = True
        offset, self._offset = self._offset, 0.0
        try:
            return await self._exchange(path, operation, body, deadline, signed=True)
        except SoapFault as fault:
            self._offset = offset
            if not fault.not_authorized:
                raise
            raise RecorderError(
                Reason.AUTH_FAILED,
                f"{fault.detail} (signed with the device clock, {offset:+.0f} s off ours, and "
                "without it): set the device clock (NTP), then check the password",
            ) from None

    async def _exchange(
        self, path: str, operation: str, body: str, deadline: Deadline, *, signed: bool
    ) -> etree._Element:
        security = ""
        if signed:
            endpoint = self.endpoint
            security = security_header(
                endpoint.username, endpoint.password, time.time() + self._offset
            )
        try:
            content = await self._http.post(
                path,
                envelope(body, security),
                deadline,
                content_type=SOAP_CONTENT_TYPE,
                what=operation,
            )
        except RefusedAnswer as refused:
            raise refused.regarding(operation) from None
        return parse_answer(content, f"{operation}Response", operation)
