"""A simulated ONVIF Profile G recorder: device, recording and search services.

Serves a `SimulatedNvr`'s state over SOAP 1.2, each service on its own path
(an operation posted to another service's path is ``ter:ActionNotSupported``):

- ``/onvif/device_service``: GetSystemDateAndTime (unauthenticated, as ONVIF
  allows, from the NVR's clock), GetServices, GetDeviceInformation,
  GetStorageConfigurations (one local storage per simulated disk: the standard
  type carries no health, capacity or free space, so ``disk: error`` cannot be
  seen here — as on real Profile G firmware);
- ``/onvif/recording_service``: GetRecordings (one recording per channel number
  from 1 to the highest, in channel order, as NVRs list them: a channel without
  a camera has a recording without data), GetRecordingJobs (a job per channel
  with a camera), GetRecordingJobState (Active while the channel records now);
- ``/onvif/search_service``: GetRecordingSummary, GetRecordingInformation,
  FindRecordings + GetRecordingSearchResults, FindEvents +
  GetEventSearchResults, EndSearch. FindEvents reports
  ``tns1:RecordingHistory/Track/State`` for the video track at every file
  boundary (data present at a file's start, gone at its end, except where the
  window or the present cuts it) and, with IncludeStartState, the state of the
  video and (always empty) audio tracks at the start point. Every search has its
  own token, is answered at most `PAGE_LIMIT` results a page whatever MaxResults
  asks, lives `KeepAliveTime` after its last use, and at most
  `MAX_OPEN_SEARCHES` are open at once, as on real recorders: a client that
  does not end its searches is refused new ones.

Every other operation needs a WS-Security UsernameToken (PasswordDigest)
checked against ``nvr.effective_password`` and the NVR's clock, or HTTP Digest
credentials. The faults that replace SOAP answers (``garbage``, ``xml_bomb``,
``xxe``, ``soap_fault``) are honoured as the camera simulator does.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from aiohttp import web

from monitor.simulator import bad_answers
from monitor.simulator.digest import DigestAuthority
from monitor.simulator.nvr.recorder import SimulatedNvr
from monitor.simulator.soap import (
    ACTION_FAILED,
    ACTION_NOT_SUPPORTED,
    MAX_BODY_BYTES,
    NOT_AUTHORIZED,
    NS_DEVICE,
    NonceCache,
    SoapFault,
    SoapFaultError,
    SoapRequest,
    check_token,
    envelope,
    invalid_arg_fault,
    parse_request,
    text,
)

NS_RECORDING = "http://www.onvif.org/ver10/recording/wsdl"
NS_SEARCH = "http://www.onvif.org/ver10/search/wsdl"
NS_SCHEMA = "http://www.onvif.org/ver10/schema"
NS_TOPICS = "http://www.onvif.org/ver10/topics"
NS_NOTIFICATION = "http://docs.oasis-open.org/wsn/b-2"
CONCRETE_SET = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"
TRACK_STATE_TOPIC = "RecordingHistory/Track/State"

DEVICE_PATH = "/onvif/device_service"
RECORDING_PATH = "/onvif/recording_service"
SEARCH_PATH = "/onvif/search_service"
SOAP_CONTENT_TYPE = "application/soap+xml"

PAGE_LIMIT = 100  # results per answer at most: a 35-day search takes many pages
MAX_OPEN_SEARCHES = 4
DEFAULT_KEEP_ALIVE_SECONDS = 10.0
MAX_KEEP_ALIVE_SECONDS = 60.0
VIDEO_TRACK = "VIDEO001"
AUDIO_TRACK = "AUDIO001"
EPOCH = "1970-01-01T00:00:00Z"  # what firmware writes for the data range of an empty track

TOO_MANY_SEARCHES = SoapFault(
    "env:Receiver", ("ter:Action", "ter:ResourceProblem"), "Too many open searches", 500
)
_DURATION = re.compile(r"^P(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def recording_token(channel: int) -> str:
    return f"OnvifRecordingToken_{channel}"


def job_token(channel: int) -> str:
    return f"OnvifRecordingJobToken_{channel}"


def xs_datetime(at: float) -> str:
    """xs:dateTime in UTC, with a fraction only when there is one."""
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


def _parse_time(value: str | None) -> float | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().upper())
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _duration_seconds(value: str | None) -> float | None:
    """Seconds of a time-only xs:duration (PT10S, PT1M), None when unreadable."""
    match = _DURATION.match((value or "").strip())
    if match is None:
        return None
    hours, minutes, seconds = (float(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _all_text(request: SoapRequest, localname: str) -> list[str]:
    return [
        (element.text or "").strip()
        for element in request.body.iter(f"{{*}}{localname}")
        if (element.text or "").strip()
    ]


def _date_time(at: float, zone: tzinfo = UTC) -> str:
    moment = datetime.fromtimestamp(at, zone)
    return (
        f"<tt:Time><tt:Hour>{moment.hour}</tt:Hour><tt:Minute>{moment.minute}</tt:Minute>"
        f"<tt:Second>{moment.second}</tt:Second></tt:Time>"
        f"<tt:Date><tt:Year>{moment.year}</tt:Year><tt:Month>{moment.month}</tt:Month>"
        f"<tt:Day>{moment.day}</tt:Day></tt:Date>"
    )


def _posix_zone(offset_seconds: float) -> str:
    """A POSIX TZ string (its sign is west-positive: UTC+8 is "CST-8:00:00")."""
    minutes = round(-offset_seconds / 60)
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"CST{sign}{hours}:{rest:02d}:00"


@dataclass
class Search:
    """One open search: its results (rendered), how far they were read, when it lapses."""

    results: list[str]
    end_point: str
    keep_alive: float
    expires: float
    cursor: int = 0


Operation = Callable[["OnvifNvrService", SoapRequest], str]


class OnvifNvrService:
    """The SOAP answers of one simulated NVR (and its open searches)."""

    def __init__(self, nvr: SimulatedNvr, digest: DigestAuthority) -> None:
        self.nvr = nvr
        self.digest = digest
        self.searches: dict[str, Search] = {}
        self._nonces = NonceCache()
        self._search_numbers = itertools.count(1)

    # -- HTTP -------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.Response:
        fault = self.nvr.fault
        if fault.xml_bomb:
            return _soap_response(500, bad_answers.entity_bomb())
        if fault.xxe:
            return _soap_response(500, bad_answers.external_entity())
        try:
            parsed = parse_request(await request.read())
        except SoapFaultError as exc:
            return _soap_response(exc.fault.http_status, exc.fault.to_bytes())
        refusal = self._refusal(request, parsed)
        if refusal is not None:
            return refusal
        status, payload = self._answer(request.path, parsed)
        if fault.garbage:
            return _soap_response(200, bad_answers.garbage(payload))
        return _soap_response(status, payload)

    def _refusal(self, request: web.Request, parsed: SoapRequest) -> web.Response | None:
        """None when the request may be answered, else the refusal to send."""
        if (parsed.namespace, parsed.name) == (NS_DEVICE, "GetSystemDateAndTime"):
            return None  # pre-authentication, so that clients can learn the clock
        if parsed.token is None:
            # No UsernameToken: HTTP Digest, which ONVIF devices accept as well.
            return self.nvr.check_digest(request, self.digest)
        accepted = check_token(
            parsed.token,
            username=self.nvr.username,
            password=self.nvr.effective_password,
            device_now=self.nvr.now(),
            nonces=self._nonces,
        )
        if accepted:
            return None
        return _soap_response(NOT_AUTHORIZED.http_status, NOT_AUTHORIZED.to_bytes())

    def _answer(self, path: str, parsed: SoapRequest) -> tuple[int, bytes]:
        if (parsed.namespace, parsed.name) == (NS_DEVICE, "GetSystemDateAndTime"):
            return 200, envelope(self.system_date_and_time(parsed))
        if self.nvr.fault.soap_fault:
            return ACTION_FAILED.http_status, ACTION_FAILED.to_bytes()
        served = OPERATIONS.get((parsed.namespace, parsed.name))
        if served is None or served[0] != path:
            return ACTION_NOT_SUPPORTED.http_status, ACTION_NOT_SUPPORTED.to_bytes()
        try:
            return 200, envelope(served[1](self, parsed))
        except SoapFaultError as exc:
            return exc.fault.http_status, exc.fault.to_bytes()

    # -- the NVR's channels ------------------------------------------------------------------
    def channel_numbers(self) -> range:
        return range(1, max(self.nvr.channels, default=0) + 1)

    def _channel_of(self, token: str | None) -> int:
        for channel in self.channel_numbers():
            if recording_token(channel) == token:
                return channel
        raise SoapFaultError(
            invalid_arg_fault("ter:NoRecording", "The recording token does not exist.")
        )

    def _data_range(self, channel: int) -> tuple[float, float] | None:
        now = self.nvr.now()
        recorded = self.nvr.recorded(channel, self.nvr.earliest(now), now)
        return (recorded[0][0], recorded[-1][1]) if recorded else None

    def _source(self, channel: int) -> str:
        camera = self.nvr.channels.get(channel)
        name = camera.name if camera is not None else f"Channel {channel}"
        return (
            f"<tt:Source><tt:SourceId>{text(f'urn:tianyan:{self.nvr.id}:channel:{channel}')}"
            f"</tt:SourceId><tt:Name>{text(name)}</tt:Name><tt:Location></tt:Location>"
            f"<tt:Description>{text(camera.camera_id if camera else '')}</tt:Description>"
            "<tt:Address></tt:Address></tt:Source>"
        )

    # -- device service -------------------------------------------------------------------------
    def system_date_and_time(self, request: SoapRequest) -> str:
        now = self.nvr.now()
        offset = datetime.fromtimestamp(now, self.nvr.timezone).utcoffset()
        offset_seconds = offset.total_seconds() if offset is not None else 0.0
        return (
            "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
            "<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>"
            f"<tt:TimeZone><tt:TZ>{_posix_zone(offset_seconds)}</tt:TZ></tt:TimeZone>"
            f"<tt:UTCDateTime>{_date_time(now)}</tt:UTCDateTime>"
            f"<tt:LocalDateTime>{_date_time(now, self.nvr.timezone)}</tt:LocalDateTime>"
            "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
        )

    def services(self, request: SoapRequest) -> str:
        base = f"http://{self.nvr.host}:{self.nvr.port}"
        listed = (
            (NS_DEVICE, DEVICE_PATH, 2, 60),
            (NS_RECORDING, RECORDING_PATH, 2, 60),
            (NS_SEARCH, SEARCH_PATH, 2, 42),
        )
        return (
            "<tds:GetServicesResponse>"
            + "".join(
                f"<tds:Service><tds:Namespace>{namespace}</tds:Namespace>"
                f"<tds:XAddr>{base}{path}</tds:XAddr><tds:Version><tt:Major>{major}</tt:Major>"
                f"<tt:Minor>{minor}</tt:Minor></tds:Version></tds:Service>"
                for namespace, path, major, minor in listed
            )
            + "</tds:GetServicesResponse>"
        )

    def device_information(self, request: SoapRequest) -> str:
        manufacturer, model, firmware = self.nvr.model
        return (
            "<tds:GetDeviceInformationResponse>"
            f"<tds:Manufacturer>{text(manufacturer)}</tds:Manufacturer>"
            f"<tds:Model>{text(model)}</tds:Model>"
            f"<tds:FirmwareVersion>{text(firmware)}</tds:FirmwareVersion>"
            f"<tds:SerialNumber>{text(self.nvr.serial)}</tds:SerialNumber>"
            f"<tds:HardwareId>{text(model)}</tds:HardwareId>"
            "</tds:GetDeviceInformationResponse>"
        )

    def storage_configurations(self, request: SoapRequest) -> str:
        return (
            "<tds:GetStorageConfigurationsResponse>"
            + "".join(
                f'<tds:StorageConfigurations token="{text(disk.name)}">'
                f'<tds:Data type="LocalStorage"><tds:LocalPath>/mnt/{text(disk.name)}'
                "</tds:LocalPath></tds:Data></tds:StorageConfigurations>"
                for disk in self.nvr.disks()
            )
            + "</tds:GetStorageConfigurationsResponse>"
        )

    # -- recording service ----------------------------------------------------------------------
    def recordings(self, request: SoapRequest) -> str:
        items = []
        for channel in self.channel_numbers():
            items.append(
                f"<trc:RecordingItem><tt:RecordingToken>{recording_token(channel)}"
                f"</tt:RecordingToken><tt:Configuration>{self._source(channel)}"
                "<tt:Content>Recording</tt:Content>"
                "<tt:MaximumRetentionTime>PT0S</tt:MaximumRetentionTime></tt:Configuration>"
                f"<tt:Tracks>{_track(VIDEO_TRACK, 'Video')}{_track(AUDIO_TRACK, 'Audio')}"
                "</tt:Tracks></trc:RecordingItem>"
            )
        return f'<trc:GetRecordingsResponse xmlns:trc="{NS_RECORDING}">{"".join(items)}' + (
            "</trc:GetRecordingsResponse>"
        )

    def recording_jobs(self, request: SoapRequest) -> str:
        jobs = "".join(
            f"<trc:JobItem><tt:JobToken>{job_token(channel)}</tt:JobToken>"
            f"<tt:JobConfiguration><tt:RecordingToken>{recording_token(channel)}"
            "</tt:RecordingToken><tt:Mode>Active</tt:Mode><tt:Priority>1</tt:Priority>"
            "</tt:JobConfiguration></trc:JobItem>"
            for channel in sorted(self.nvr.channels)
        )
        return (
            f'<trc:GetRecordingJobsResponse xmlns:trc="{NS_RECORDING}">{jobs}'
            "</trc:GetRecordingJobsResponse>"
        )

    def recording_job_state(self, request: SoapRequest) -> str:
        token = request.child_text("JobToken")
        channel = next((c for c in self.nvr.channels if job_token(c) == token), None)
        if channel is None:
            raise SoapFaultError(
                invalid_arg_fault("ter:NoRecordingJob", "The job token does not exist.")
            )
        state = "Active" if self.nvr.recording_now(channel) else "Idle"
        return (
            f'<trc:GetRecordingJobStateResponse xmlns:trc="{NS_RECORDING}"><trc:State>'
            f"<tt:RecordingToken>{recording_token(channel)}</tt:RecordingToken>"
            f"<tt:State>{state}</tt:State></trc:State></trc:GetRecordingJobStateResponse>"
        )

    # -- search service: summaries ------------------------------------------------------------
    def recording_summary(self, request: SoapRequest) -> str:
        ranges = [r for c in self.channel_numbers() if (r := self._data_range(c)) is not None]
        first = min((a for a, _ in ranges), default=None)
        last = max((b for _, b in ranges), default=None)
        return (
            f'<tse:GetRecordingSummaryResponse xmlns:tse="{NS_SEARCH}"><tse:Summary>'
            f"<tt:DataFrom>{xs_datetime(first) if first is not None else EPOCH}</tt:DataFrom>"
            f"<tt:DataUntil>{xs_datetime(last) if last is not None else EPOCH}</tt:DataUntil>"
            f"<tt:NumberRecordings>{len(self.channel_numbers())}</tt:NumberRecordings>"
            "</tse:Summary></tse:GetRecordingSummaryResponse>"
        )

    def information(self, channel: int, element: str) -> str:
        data = self._data_range(channel)
        first, last = (xs_datetime(data[0]), xs_datetime(data[1])) if data else (EPOCH, EPOCH)
        span = (
            f"<tt:EarliestRecording>{first}</tt:EarliestRecording>"
            f"<tt:LatestRecording>{last}</tt:LatestRecording>"
            if data
            else ""
        )
        status = "Recording" if self.nvr.recording_now(channel) else "Stopped"
        return (
            f"<{element}><tt:RecordingToken>{recording_token(channel)}</tt:RecordingToken>"
            f"{self._source(channel)}{span}<tt:Content>Recording</tt:Content>"
            f"<tt:Track><tt:TrackToken>{VIDEO_TRACK}</tt:TrackToken>"
            "<tt:TrackType>Video</tt:TrackType><tt:Description>Video</tt:Description>"
            f"<tt:DataFrom>{first}</tt:DataFrom><tt:DataTo>{last}</tt:DataTo></tt:Track>"
            f"<tt:Track><tt:TrackToken>{AUDIO_TRACK}</tt:TrackToken>"
            "<tt:TrackType>Audio</tt:TrackType><tt:Description>Audio</tt:Description>"
            f"<tt:DataFrom>{EPOCH}</tt:DataFrom><tt:DataTo>{EPOCH}</tt:DataTo></tt:Track>"
            f"<tt:RecordingStatus>{status}</tt:RecordingStatus></{element}>"
        )

    def recording_information(self, request: SoapRequest) -> str:
        channel = self._channel_of(request.child_text("RecordingToken"))
        return (
            f'<tse:GetRecordingInformationResponse xmlns:tse="{NS_SEARCH}">'
            + self.information(channel, "tse:RecordingInformation")
            + "</tse:GetRecordingInformationResponse>"
        )

    # -- search service: searches ---------------------------------------------------------------
    def _scope(self, request: SoapRequest) -> list[int]:
        tokens = _all_text(request, "IncludedRecordings")
        if not tokens:
            return list(self.channel_numbers())
        return [self._channel_of(token) for token in tokens]

    def _open_search(self, request: SoapRequest, results: list[str], end_point: str) -> str:
        now = time.monotonic()
        self.searches = {t: s for t, s in self.searches.items() if s.expires > now}
        if len(self.searches) >= MAX_OPEN_SEARCHES:
            raise SoapFaultError(TOO_MANY_SEARCHES)
        asked = _duration_seconds(request.child_text("KeepAliveTime"))
        keep_alive = min(asked or DEFAULT_KEEP_ALIVE_SECONDS, MAX_KEEP_ALIVE_SECONDS)
        max_matches = request.child_text("MaxMatches")
        if max_matches and max_matches.isdigit():
            results = results[: int(max_matches)]
        token = f"SearchToken_{next(self._search_numbers)}"
        self.searches[token] = Search(results, end_point, keep_alive, now + keep_alive)
        return token

    def _search_of(self, request: SoapRequest) -> Search:
        search = self.searches.get(request.child_text("SearchToken") or "")
        if search is None or search.expires <= time.monotonic():
            raise SoapFaultError(
                invalid_arg_fault("ter:InvalidToken", "The search token does not exist.")
            )
        search.expires = time.monotonic() + search.keep_alive
        return search

    def _page(self, request: SoapRequest) -> tuple[Search, list[str]]:
        search = self._search_of(request)
        asked = request.child_text("MaxResults")
        size = min(int(asked), PAGE_LIMIT) if asked and asked.isdigit() else PAGE_LIMIT
        page = search.results[search.cursor : search.cursor + max(size, 1)]
        search.cursor += len(page)
        return search, page

    def find_recordings(self, request: SoapRequest) -> str:
        results = [self.information(c, "tt:RecordingInformation") for c in self._scope(request)]
        token = self._open_search(request, results, xs_datetime(self.nvr.now()))
        return (
            f'<tse:FindRecordingsResponse xmlns:tse="{NS_SEARCH}">'
            f"<tse:SearchToken>{token}</tse:SearchToken></tse:FindRecordingsResponse>"
        )

    def recording_search_results(self, request: SoapRequest) -> str:
        search, page = self._page(request)
        state = "Completed" if search.cursor >= len(search.results) else "Searching"
        return (
            f'<tse:GetRecordingSearchResultsResponse xmlns:tse="{NS_SEARCH}"><tse:ResultList>'
            f"<tt:SearchState>{state}</tt:SearchState>{''.join(page)}</tse:ResultList>"
            "</tse:GetRecordingSearchResultsResponse>"
        )

    def find_events(self, request: SoapRequest) -> str:
        start = _parse_time(request.child_text("StartPoint"))
        if start is None:
            raise SoapFaultError(invalid_arg_fault("ter:InvalidArgVal", "StartPoint is invalid."))
        end = _parse_time(request.child_text("EndPoint"))
        end = self.nvr.now() if end is None else end
        topics = " ".join(_all_text(request, "TopicExpression"))
        include_start = (request.child_text("IncludeStartState") or "").lower() in ("true", "1")
        low, high = min(start, end), max(start, end)
        events: list[tuple[float, str]] = []
        if not topics or TRACK_STATE_TOPIC in topics:
            for channel in self._scope(request):
                events.extend(self._history(channel, low, high, include_start))
        events.sort(key=lambda event: event[0], reverse=end < start)  # stable: keeps file order
        token = self._open_search(request, [xml for _, xml in events], xs_datetime(end))
        return (
            f'<tse:FindEventsResponse xmlns:tse="{NS_SEARCH}">'
            f"<tse:SearchToken>{token}</tse:SearchToken></tse:FindEventsResponse>"
        )

    def _history(
        self, channel: int, low: float, high: float, include_start: bool
    ) -> list[tuple[float, str]]:
        """Track state events of one recording in [low, high): one at each file boundary."""
        recording = recording_token(channel)
        files = self.nvr.files(channel, low, high)
        ongoing_from = min(high, self.nvr.now())
        events: list[tuple[float, str]] = []
        if include_start:
            present = bool(files) and files[0][0] <= low
            events.append((low, _state_event(recording, VIDEO_TRACK, low, present, start=True)))
            events.append((low, _state_event(recording, AUDIO_TRACK, low, False, start=True)))
        for begins, ends in files:
            if begins > low or not include_start:
                events.append((begins, _state_event(recording, VIDEO_TRACK, begins, True)))
            if ends < ongoing_from:  # a file cut by the window or the present goes on
                events.append((ends, _state_event(recording, VIDEO_TRACK, ends, False)))
        return events

    def event_search_results(self, request: SoapRequest) -> str:
        search, page = self._page(request)
        state = "Completed" if search.cursor >= len(search.results) else "Searching"
        return (
            f'<tse:GetEventSearchResultsResponse xmlns:tse="{NS_SEARCH}" '
            f'xmlns:wsnt="{NS_NOTIFICATION}" xmlns:tns1="{NS_TOPICS}"><tse:ResultList>'
            f"<tt:SearchState>{state}</tt:SearchState>{''.join(page)}</tse:ResultList>"
            "</tse:GetEventSearchResultsResponse>"
        )

    def end_search(self, request: SoapRequest) -> str:
        search = self._search_of(request)
        self.searches = {t: s for t, s in self.searches.items() if s is not search}
        return (
            f'<tse:EndSearchResponse xmlns:tse="{NS_SEARCH}">'
            f"<tse:Endpoint>{search.end_point}</tse:Endpoint></tse:EndSearchResponse>"
        )


def _track(token: str, kind: str) -> str:
    return (
        f"<tt:Track><tt:TrackToken>{token}</tt:TrackToken><tt:Configuration>"
        f"<tt:TrackType>{kind}</tt:TrackType><tt:Description>{kind}</tt:Description>"
        "</tt:Configuration></tt:Track>"
    )


def _state_event(
    recording: str, track: str, at: float, present: bool, *, start: bool = False
) -> str:
    when = xs_datetime(at)
    return (
        f"<tt:Result><tt:RecordingToken>{recording}</tt:RecordingToken>"
        f"<tt:TrackToken>{track}</tt:TrackToken><tt:Time>{when}</tt:Time><tt:Event>"
        f'<wsnt:Topic Dialect="{CONCRETE_SET}">tns1:{TRACK_STATE_TOPIC}</wsnt:Topic>'
        f'<wsnt:Message><tt:Message UtcTime="{when}" '
        f'PropertyOperation="{"Initialized" if start else "Changed"}"><tt:Source>'
        f'<tt:SimpleItem Name="RecordingToken" Value="{recording}"/>'
        f'<tt:SimpleItem Name="Track" Value="{track}"/></tt:Source><tt:Data>'
        f'<tt:SimpleItem Name="IsDataPresent" Value="{"true" if present else "false"}"/>'
        "</tt:Data></tt:Message></wsnt:Message></tt:Event>"
        f"<tt:StartStateEvent>{'true' if start else 'false'}</tt:StartStateEvent></tt:Result>"
    )


def _soap_response(status: int, payload: bytes) -> web.Response:
    return web.Response(
        status=status, body=payload, content_type=SOAP_CONTENT_TYPE, charset="utf-8"
    )


# (namespace, operation) → (the path of its service, the method answering it)
OPERATIONS: dict[tuple[str, str], tuple[str, Operation]] = {
    (NS_DEVICE, "GetServices"): (DEVICE_PATH, OnvifNvrService.services),
    (NS_DEVICE, "GetDeviceInformation"): (DEVICE_PATH, OnvifNvrService.device_information),
    (NS_DEVICE, "GetStorageConfigurations"): (
        DEVICE_PATH,
        OnvifNvrService.storage_configurations,
    ),
    (NS_RECORDING, "GetRecordings"): (RECORDING_PATH, OnvifNvrService.recordings),
    (NS_RECORDING, "GetRecordingJobs"): (RECORDING_PATH, OnvifNvrService.recording_jobs),
    (NS_RECORDING, "GetRecordingJobState"): (RECORDING_PATH, OnvifNvrService.recording_job_state),
    (NS_SEARCH, "GetRecordingSummary"): (SEARCH_PATH, OnvifNvrService.recording_summary),
    (NS_SEARCH, "GetRecordingInformation"): (SEARCH_PATH, OnvifNvrService.recording_information),
    (NS_SEARCH, "FindRecordings"): (SEARCH_PATH, OnvifNvrService.find_recordings),
    (NS_SEARCH, "GetRecordingSearchResults"): (
        SEARCH_PATH,
        OnvifNvrService.recording_search_results,
    ),
    (NS_SEARCH, "FindEvents"): (SEARCH_PATH, OnvifNvrService.find_events),
    (NS_SEARCH, "GetEventSearchResults"): (SEARCH_PATH, OnvifNvrService.event_search_results),
    (NS_SEARCH, "EndSearch"): (SEARCH_PATH, OnvifNvrService.end_search),
}

SERVICE_KEY = web.AppKey("onvif_nvr_service", OnvifNvrService)


def application(nvr: SimulatedNvr, digest: DigestAuthority) -> web.Application:
    """The ONVIF Profile G web app of one simulated NVR (its service under `SERVICE_KEY`)."""
    service = OnvifNvrService(nvr, digest)
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SERVICE_KEY] = service
    for path in (DEVICE_PATH, RECORDING_PATH, SEARCH_PATH):
        app.router.add_post(path, service.handle)
    return app
