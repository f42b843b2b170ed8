"""The site map: a school's key sites, cameras, NVRs and roads, as validated models.

These models check what a single field or object can check on its own (types,
ranges, id syntax, host syntax, one password source). Checks that need the
whole map (duplicate ids, dangling references, unknown categories) live in
`site_map.validate`, because they must report the file and line of the
offending entry, which only the loader knows.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, model_validator

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
Identifier = Annotated[str, Field(pattern=ID_PATTERN)]

# RFC 1123 host names: labels of letters, digits and hyphens, not starting or
# ending with a hyphen. Anything else (URLs, spaces, "http://...") is a typo in
# a ledger, not a host.
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


class Capability:
    """Capabilities a key site may require and a camera may provide (closed set)."""

    FACE_RECOGNITION = "face_recognition"
    VEHICLE_CHECKPOINT = "vehicle_checkpoint"
    ALL = (FACE_RECOGNITION, VEHICLE_CHECKPOINT)


CapabilityName = Literal["face_recognition", "vehicle_checkpoint"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def check_host(value: str) -> str:
    """Accept an IPv4/IPv6 address or an RFC 1123 host name; refuse anything else."""
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if len(value) > 253 or not value:
        raise ValueError(f"'{value}' is not a host name or IP address")
    labels = value.rstrip(".").split(".")
    if all(_HOST_LABEL.match(label) for label in labels) and not labels[-1].isdigit():
        return value
    raise ValueError(f"'{value}' is not a host name or IP address")


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone '{value}' (give an IANA name such as Asia/Shanghai)"
        ) from None
    return value


_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")


def check_clock(value: str) -> str:
    if not _CLOCK.match(value):
        raise ValueError(f"'{value}' is not a time of day HH:MM (00:00 to 24:00)")
    return value


TimeZoneName = Annotated[str, AfterValidator(check_timezone)]
ClockTime = Annotated[str, AfterValidator(check_clock)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Host = Annotated[str, Field(min_length=1, max_length=253), AfterValidator(check_host)]
Port = Annotated[int, Field(ge=1, le=65535)]


class Targets(_Model):
    install: float = Field(1.0, ge=0, le=1)
    intact: float = Field(0.95, ge=0, le=1)
    storage: float = Field(0.95, ge=0, le=1)


class Location(_Model):
    """A point: metres in the campus-local frame (x, y), or WGS-84 (lat, lon)."""

    x: float | None = None
    y: float | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)

    @model_validator(mode="after")
    def _one_frame(self) -> Location:
        local = self.x is not None and self.y is not None
        geo = self.lat is not None and self.lon is not None
        partial = (self.x is None) != (self.y is None) or (self.lat is None) != (self.lon is None)
        if partial or local == geo:
            raise ValueError("a location needs either both x and y (metres) or both lat and lon")
        return self


class Position(Location):
    """Where a camera hangs and where it looks (field of view as a sector)."""

    heading: float = Field(0.0, ge=0, lt=360, description="degrees clockwise from north/+y")
    fov: float = Field(90.0, gt=0, le=360, description="horizontal field of view, degrees")
    range: float = Field(30.0, gt=0, description="useful viewing distance, metres")


class Campus(_Model):
    id: Identifier
    name: str = ""


class CategoryPolicy(_Model):
    """A category declared or tuned in the site map file."""

    name: str = ""
    required_cameras: int | None = Field(None, ge=0)
    critical: bool | None = None


class Site(_Model):
    id: Identifier
    name: str = ""
    campus: Identifier
    category: str = Field(min_length=1)
    location: Location | None = None
    required_cameras: int | None = Field(None, ge=0)
    requires: tuple[CapabilityName, ...] = ()
    unit: str | None = None


class OnvifEndpoint(_Model):
    host: Host
    port: Port = 80
    credentials: Identifier = "default"


class RecordingWindow(_Model):
    """When a channel is expected to record, in the recorder's local time."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    days: tuple[Weekday, ...] = WEEKDAYS  # type: ignore[assignment]
    start: ClockTime = Field("00:00", alias="from")
    end: ClockTime = Field("24:00", alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> RecordingWindow:
        if self.end <= self.start:
            raise ValueError(
                f"recording window from {self.start} to {self.end} is empty "
                "(write two windows for one that crosses midnight)"
            )
        return self


class RecordingRef(_Model):
    id: Identifier
    channel: int = Field(ge=1)
    # When this channel should record; none given: around the clock (24/7).
    schedule: tuple[RecordingWindow, ...] = ()


class Camera(_Model):
    id: Identifier
    name: str = ""
    sites: tuple[Identifier, ...] = ()
    roles: tuple[CapabilityName, ...] = ()
    onvif: OnvifEndpoint
    nvr: RecordingRef | None = None
    position: Position | None = None
    switch: Identifier | None = None


class Nvr(_Model):
    id: Identifier
    name: str = ""
    kind: Literal["onvif", "hikvision", "dahua"] = "onvif"
    host: Host
    port: Port = 80
    credentials: Identifier = "default"
    campus: Identifier | None = None
    switch: Identifier | None = None
    # The zone of the recorder's clock (Dahua and some ISAPI firmware speak
    # local time without an offset); default: the monitor's own.
    timezone: TimeZoneName | None = None
    # Hikvision: the firmware means real UTC by a trailing "Z" (most write their
    # wall clock followed by "Z"; docs/recordings.md).
    utc_times: bool = False

    @model_validator(mode="after")
    def _utc_times_for_hikvision(self) -> Nvr:
        if self.utc_times and self.kind != "hikvision":
            raise ValueError(
                f"utc_times applies to hikvision NVRs only ({self.kind} times are read "
                "as their protocol defines them)"
            )
        return self


class Credential(_Model):
    """Where a device password comes from. Exactly one source is allowed."""

    username: str = Field(min_length=1)
    password_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    password_file: str | None = None
    password: SecretStr | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Credential:
        sources = [s for s in (self.password_env, self.password_file, self.password) if s]
        if len(sources) != 1:
            raise ValueError("give exactly one of password_env, password_file or password")
        return self


class RoadNode(_Model):
    id: Identifier
    location: Location
    site: Identifier | None = None


class RoadEdge(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source: Identifier = Field(alias="from")
    target: Identifier = Field(alias="to")
    main: bool = False
    name: str = ""


class Roads(_Model):
    nodes: tuple[RoadNode, ...] = ()
    edges: tuple[RoadEdge, ...] = ()


class SiteMap(_Model):
    school: str = Field(min_length=1)
    retention_days: int = Field(30, ge=1)
    targets: Targets = Targets.model_validate({})
    categories: dict[Identifier, CategoryPolicy] = Field(default_factory=dict)
    campuses: tuple[Campus, ...] = Field(min_length=1)
    sites: tuple[Site, ...] = ()
    cameras: tuple[Camera, ...] = ()
    nvrs: tuple[Nvr, ...] = ()
    credentials: dict[Identifier, Credential] = Field(default_factory=dict)
    roads: Roads = Roads()

    # Lookups used everywhere; built lazily because the model is frozen.
    def site_by_id(self) -> dict[str, Site]:
        return {s.id: s for s in self.sites}

    def camera_by_id(self) -> dict[str, Camera]:
        return {c.id: c for c in self.cameras}

    def cameras_by_site(self) -> dict[str, list[Camera]]:
        index: dict[str, list[Camera]] = {s.id: [] for s in self.sites}
        for camera in self.cameras:
            for site_id in camera.sites:
                index.setdefault(site_id, []).append(camera)
        return index
