"""One simulated ONVIF camera: identity, clock, credentials, and its SOAP answers.

Answers are built from string templates: the simulator serves thousands of
devices from one process, and a response costs a few string joins. Every
answer has been checked against the real client (onvif-zeep-async), which
deserializes it with the ONVIF WSDLs.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from monitor.simulator.faults import HEALTHY, Fault
from monitor.simulator.scene import SUB_HEIGHT, SUB_WIDTH
from monitor.simulator.soap import (
    ACTION_FAILED,
    ACTION_NOT_SUPPORTED,
    NOT_AUTHORIZED,
    NS_DEVICE,
    NS_MEDIA,
    NonceCache,
    SoapFault,
    SoapFaultError,
    SoapRequest,
    check_token,
    envelope,
    invalid_arg_fault,
    text,
)

# The campus is in China: device local time is UTC+8 (POSIX TZ "CST-8").
TIME_ZONE = "CST-8"
LOCAL_OFFSET_SECONDS = 8 * 3600
RTSP_PORT = 554


@dataclass(frozen=True, slots=True)
class VendorModel:
    manufacturer: str
    model: str
    width: int
    height: int
    hardware_id: str
    firmware: str
    server_header: str
    rtsp_path: tuple[str, str]  # main stream, sub stream


# A plausible mix of what Chinese campuses buy (names as the devices report them).
MODELS: tuple[VendorModel, ...] = (
    VendorModel(
        "Hikvision",
        "DS-2CD2T47G2-L",
        2688,
        1520,
        "88",
        "V5.7.11 build 220819",
        "App-webs/",
        ("/Streaming/Channels/101", "/Streaming/Channels/102"),
    ),
    VendorModel(
        "Hikvision",
        "DS-2CD2043G2-I",
        2688,
        1520,
        "88",
        "V5.7.3 build 220112",
        "App-webs/",
        ("/Streaming/Channels/101", "/Streaming/Channels/102"),
    ),
    VendorModel(
        "Hikvision",
        "iDS-2CD7A46G0-IZHS",
        2688,
        1520,
        "88",
        "V5.6.2 build 210513",
        "App-webs/",
        ("/Streaming/Channels/101", "/Streaming/Channels/102"),
    ),
    VendorModel(
        "Dahua",
        "IPC-HFW2431S-S-S2",
        2688,
        1520,
        "1.00",
        "2.800.0000000.23.R, Build Date 2021-08-27",
        "Webs",
        ("/cam/realmonitor?channel=1&subtype=0", "/cam/realmonitor?channel=1&subtype=1"),
    ),
    VendorModel(
        "Dahua",
        "IPC-HDW3441T-ZS",
        2688,
        1520,
        "1.00",
        "2.820.0000000.19.R, Build Date 2022-03-10",
        "Webs",
        ("/cam/realmonitor?channel=1&subtype=0", "/cam/realmonitor?channel=1&subtype=1"),
    ),
    VendorModel(
        "Uniview",
        "IPC2124LB-SF40KM-G",
        2688,
        1520,
        "V1.0",
        "IPC_G6103-B0012P10D1908",
        "Uniview-Webs",
        ("/unicast/c1/s0/live", "/unicast/c1/s1/live"),
    ),
    VendorModel(
        "Uniview",
        "IPC3614SB-ADF28KM-I0",
        2560,
        1440,
        "V1.0",
        "IPC_Q1201-B5006P10D2008",
        "Uniview-Webs",
        ("/unicast/c1/s0/live", "/unicast/c1/s1/live"),
    ),
    VendorModel(
        "Axis",
        "P3245-LVE",
        1920,
        1080,
        "7A1",
        "10.12.182",
        "Apache",
        (
            "/axis-media/media.amp?videocodec=h264",
            "/axis-media/media.amp?videocodec=h264&resolution=640x360",
        ),
    ),
)

PROFILE_TOKENS: tuple[str, str] = ("Profile_1", "Profile_2")
SERVICE_PATHS: tuple[str, ...] = ("/onvif/device_service", "/onvif/media_service", "/onvif/Media")
SNAPSHOT_PREFIX = "/onvif/snapshot/"


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """What GetDeviceInformation answers: fixed per camera id."""

    manufacturer: str
    model: str
    firmware: str
    serial: str
    hardware_id: str


def _digest(camera_id: str) -> bytes:
    return hashlib.sha256(("tianyan-simulator:" + camera_id).encode("utf-8")).digest()


def pick_model(camera_id: str) -> VendorModel:
    return MODELS[int.from_bytes(_digest(camera_id)[:4], "big") % len(MODELS)]


def identity_for(camera_id: str) -> DeviceIdentity:
    model = pick_model(camera_id)
    digits = str(int.from_bytes(_digest(camera_id)[4:12], "big"))[-9:].rjust(9, "0")
    serial = {
        "Hikvision": f"{model.model}20220315CCWR{digits}",
        "Dahua": f"7J0{digits[:3]}PAZ{digits[3:]}",
        "Uniview": f"210235C3EN{digits}",
        "Axis": f"B8A44F{digits[:6]}",
    }[model.manufacturer]
    return DeviceIdentity(
        model.manufacturer, model.model, model.firmware, serial, model.hardware_id
    )


def _date_time(seconds: float) -> str:
    t = time.gmtime(seconds)
    return (
        f"<tt:Time><tt:Hour>{t.tm_hour}</tt:Hour><tt:Minute>{t.tm_min}</tt:Minute>"
        f"<tt:Second>{t.tm_sec}</tt:Second></tt:Time>"
        f"<tt:Date><tt:Year>{t.tm_year}</tt:Year><tt:Month>{t.tm_mon}</tt:Month>"
        f"<tt:Day>{t.tm_mday}</tt:Day></tt:Date>"
    )


def _media_uri(uri: str, timeout: str = "PT0S") -> str:
    return (
        f"<trt:MediaUri><tt:Uri>{text(uri)}</tt:Uri>"
        "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>"
        "<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>"
        f"<tt:Timeout>{timeout}</tt:Timeout></trt:MediaUri>"
    )


class SimulatedDevice:
    """A camera as the simulator serves it. Its fault can change at run time."""

    __slots__ = (
        "_nonces",
        "camera_id",
        "fault",
        "host",
        "name",
        "password",
        "port",
        "scene",
        "username",
    )

    def __init__(
        self,
        camera_id: str,
        *,
        host: str,
        port: int,
        username: str,
        password: str,
        name: str = "",
        scene: str = "road",
        fault: Fault = HEALTHY,
    ) -> None:
        self.camera_id = camera_id
        self.name = name
        self.host = host
        self.port = port
        self.username = username
        self.password = password  # the site map's password for this camera
        self.scene = scene
        self.fault = fault
        self._nonces: NonceCache | None = None

    # -- identity, clock, addresses -------------------------------------------------
    @property
    def model(self) -> VendorModel:
        return pick_model(self.camera_id)

    @property
    def identity(self) -> DeviceIdentity:
        return identity_for(self.camera_id)

    @property
    def realm(self) -> str:
        return f"IP Camera({self.camera_id})"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def snapshot_url(self, token: str) -> str:
        return f"{self.base_url}{SNAPSHOT_PREFIX}{token}.jpg"

    def stream_url(self, token: str) -> str:
        path = self.model.rtsp_path[PROFILE_TOKENS.index(token)]
        host = (
            self.fault.foreign_xaddr.rpartition(":")[0] if self.fault.foreign_xaddr else self.host
        )
        return f"rtsp://{host}:{RTSP_PORT}{path}"

    def clock(self, now: float | None = None) -> float:
        """The device's own clock (unix seconds): real time plus any clock_skew fault.

        WS-Security timestamps are checked against this clock.
        """
        return (time.time() if now is None else now) + self.fault.clock_skew

    def reported_clock(self, now: float | None = None) -> float:
        """The clock the device shows (GetSystemDateAndTime, the picture's time stamp).

        The same as `clock` unless the `clock_report_only` fault shifts what is shown.
        """
        return (time.time() if now is None else now) + self.fault.reported_clock_shift

    @property
    def advertised_base_url(self) -> str:
        """Where the device says its services are: its own address, or a foreign one."""
        if self.fault.foreign_xaddr:
            return f"http://{self.fault.foreign_xaddr}"
        return self.base_url

    @property
    def effective_password(self) -> str:
        """The password the device actually has (auth_fail: someone changed it)."""
        if self.fault.auth_fail:
            return self.password + "\x00changed-on-device"
        return self.password

    # -- SOAP ---------------------------------------------------------------------------
    def authenticate(self, request: SoapRequest) -> bool:
        if self._nonces is None:
            self._nonces = NonceCache()
        return check_token(
            request.token,
            username=self.username,
            password=self.effective_password,
            device_now=self.clock(),
            nonces=self._nonces,
        )

    def handle_soap(self, request: SoapRequest) -> tuple[int, bytes]:
        """Answer one parsed request: (HTTP status, SOAP 1.2 envelope)."""
        key = (request.namespace, request.name)
        if key == (NS_DEVICE, "GetSystemDateAndTime"):
            # Pre-authentication operation: answered whatever the token says.
            return 200, envelope(self._system_date_and_time())
        if not self.authenticate(request):
            return NOT_AUTHORIZED.http_status, NOT_AUTHORIZED.to_bytes()
        operation = _OPERATIONS.get(key)
        if self.fault.soap_fault:
            return ACTION_FAILED.http_status, ACTION_FAILED.to_bytes()
        if operation is None:
            return ACTION_NOT_SUPPORTED.http_status, ACTION_NOT_SUPPORTED.to_bytes()
        try:
            return 200, envelope(operation(self, request))
        except SoapFaultError as answer:
            return answer.fault.http_status, answer.fault.to_bytes()

    def _system_date_and_time(self) -> str:
        now = self.reported_clock()
        return (
            "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
            "<tt:DateTimeType>NTP</tt:DateTimeType>"
            "<tt:DaylightSavings>false</tt:DaylightSavings>"
            f"<tt:TimeZone><tt:TZ>{TIME_ZONE}</tt:TZ></tt:TimeZone>"
            f"<tt:UTCDateTime>{_date_time(now)}</tt:UTCDateTime>"
            f"<tt:LocalDateTime>{_date_time(now + LOCAL_OFFSET_SECONDS)}</tt:LocalDateTime>"
            "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
        )

    def _device_information(self, request: SoapRequest) -> str:
        ident = self.identity
        return (
            "<tds:GetDeviceInformationResponse>"
            f"<tds:Manufacturer>{text(ident.manufacturer)}</tds:Manufacturer>"
            f"<tds:Model>{text(ident.model)}</tds:Model>"
            f"<tds:FirmwareVersion>{text(ident.firmware)}</tds:FirmwareVersion>"
            f"<tds:SerialNumber>{text(ident.serial)}</tds:SerialNumber>"
            f"<tds:HardwareId>{text(ident.hardware_id)}</tds:HardwareId>"
            "</tds:GetDeviceInformationResponse>"
        )

    def _capabilities(self, request: SoapRequest) -> str:
        categories = {
            (el.text or "").strip()
            for el in request.body
            if isinstance(el.tag, str) and el.tag.endswith("}Category")
        } or {"All"}
        parts = []
        if categories & {"All", "Device"}:
            parts.append(
                f"<tt:Device><tt:XAddr>{self.advertised_base_url}/onvif/device_service</tt:XAddr>"
                "<tt:Network><tt:IPFilter>false</tt:IPFilter>"
                "<tt:ZeroConfiguration>false</tt:ZeroConfiguration>"
                "<tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>false</tt:DynDNS></tt:Network>"
                "</tt:Device>"
            )
        if categories & {"All", "Media"}:
            parts.append(
                f"<tt:Media><tt:XAddr>{self.advertised_base_url}/onvif/media_service</tt:XAddr>"
                "<tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>"
                "<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP>"
                "</tt:StreamingCapabilities></tt:Media>"
            )
        if not parts:
            raise SoapFaultError(
                SoapFault(
                    "env:Receiver",
                    ("ter:ActionNotSupported", "ter:NoSuchService"),
                    "The requested WSDL service category is not supported by the NVT.",
                )
            )
        return (
            "<tds:GetCapabilitiesResponse><tds:Capabilities>"
            + "".join(parts)
            + "</tds:Capabilities></tds:GetCapabilitiesResponse>"
        )

    def _services(self, request: SoapRequest) -> str:
        services = (
            (NS_DEVICE, "/onvif/device_service", 2, 60),
            (NS_MEDIA, "/onvif/media_service", 2, 60),
        )
        return (
            "<tds:GetServicesResponse>"
            + "".join(
                f"<tds:Service><tds:Namespace>{ns}</tds:Namespace>"
                f"<tds:XAddr>{self.advertised_base_url}{path}</tds:XAddr>"
                f"<tds:Version><tt:Major>{major}</tt:Major><tt:Minor>{minor}</tt:Minor>"
                "</tds:Version></tds:Service>"
                for ns, path, major, minor in services
            )
            + "</tds:GetServicesResponse>"
        )

    def _profile(self, token: str, element: str) -> str:
        model = self.model
        main = token == PROFILE_TOKENS[0]
        width, height = (model.width, model.height) if main else (SUB_WIDTH, SUB_HEIGHT)
        index = 1 if main else 2
        return (
            f'<{element} token="{token}" fixed="true">'
            f"<tt:Name>{'mainStream' if main else 'subStream'}</tt:Name>"
            '<tt:VideoSourceConfiguration token="VideoSourceToken">'
            "<tt:Name>VideoSourceConfig</tt:Name><tt:UseCount>2</tt:UseCount>"
            "<tt:SourceToken>VideoSource_1</tt:SourceToken>"
            f'<tt:Bounds x="0" y="0" width="{model.width}" height="{model.height}"/>'
            "</tt:VideoSourceConfiguration>"
            f'<tt:VideoEncoderConfiguration token="VideoEncoderToken_{index}">'
            f"<tt:Name>VideoEncoder_{index}</tt:Name><tt:UseCount>1</tt:UseCount>"
            "<tt:Encoding>H264</tt:Encoding>"
            f"<tt:Resolution><tt:Width>{width}</tt:Width><tt:Height>{height}</tt:Height>"
            "</tt:Resolution><tt:Quality>5</tt:Quality>"
            "<tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit>"
            "<tt:EncodingInterval>1</tt:EncodingInterval>"
            f"<tt:BitrateLimit>{4096 if main else 512}</tt:BitrateLimit></tt:RateControl>"
            "<tt:H264><tt:GovLength>50</tt:GovLength><tt:H264Profile>Main</tt:H264Profile>"
            "</tt:H264><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type>"
            "<tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port>"
            "<tt:TTL>128</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>"
            "<tt:SessionTimeout>PT5S</tt:SessionTimeout></tt:VideoEncoderConfiguration>"
            f"</{element}>"
        )

    def _profiles(self, request: SoapRequest) -> str:
        return (
            "<trt:GetProfilesResponse>"
            + "".join(self._profile(token, "trt:Profiles") for token in PROFILE_TOKENS)
            + "</trt:GetProfilesResponse>"
        )

    def _token_of(self, request: SoapRequest) -> str:
        token = request.child_text("ProfileToken")
        if token not in PROFILE_TOKENS:
            raise SoapFaultError(
                invalid_arg_fault(
                    "ter:NoProfile", "The requested profile token ProfileToken does not exist."
                )
            )
        return token

    def _get_profile(self, request: SoapRequest) -> str:
        token = self._token_of(request)
        return (
            "<trt:GetProfileResponse>"
            + self._profile(token, "trt:Profile")
            + "</trt:GetProfileResponse>"
        )

    def _stream_uri(self, request: SoapRequest) -> str:
        token = self._token_of(request)
        return (
            "<trt:GetStreamUriResponse>"
            + _media_uri(self.stream_url(token))
            + "</trt:GetStreamUriResponse>"
        )

    def _snapshot_uri(self, request: SoapRequest) -> str:
        token = self._token_of(request)
        return (
            "<trt:GetSnapshotUriResponse>"
            + _media_uri(f"{self.advertised_base_url}{SNAPSHOT_PREFIX}{token}.jpg")
            + "</trt:GetSnapshotUriResponse>"
        )


_OPERATIONS: dict[tuple[str, str], Callable[[SimulatedDevice, SoapRequest], str]] = {
    (NS_DEVICE, "GetDeviceInformation"): SimulatedDevice._device_information,
    (NS_DEVICE, "GetCapabilities"): SimulatedDevice._capabilities,
    (NS_DEVICE, "GetServices"): SimulatedDevice._services,
    (NS_MEDIA, "GetProfiles"): SimulatedDevice._profiles,
    (NS_MEDIA, "GetProfile"): SimulatedDevice._get_profile,
    (NS_MEDIA, "GetStreamUri"): SimulatedDevice._stream_uri,
    (NS_MEDIA, "GetSnapshotUri"): SimulatedDevice._snapshot_uri,
}
