"""Reading ONVIF answers: the few fields the probe needs, straight from the XML.

zeep builds and signs every request; its schema-driven deserialisation of the
answers, though, cost most of a probe's CPU (a GetProfiles answer becomes
hundreds of Python objects of which the probe reads one attribute). The
transport has already refused oversized, DTD-carrying and malformed answers;
here the checked document is searched by local name, which also tolerates the
namespace prefixes and the SOAP 1.1/1.2 variants firmware uses.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lxml import etree
from zeep.exceptions import Fault

from monitor.probing.errors import StageFailure
from monitor.probing.result import DeviceIdentity, Reason
from monitor.probing.transport import check_xml

MEDIA_NAMESPACE = "http://www.onvif.org/ver10/media/wsdl"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    return next((c for c in element if isinstance(c.tag, str) and _local(c) == name), None)


def _find(root: etree._Element, name: str) -> etree._Element | None:
    return next(root.iter(f"{{*}}{name}"), None)


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _raise_fault(root: etree._Element) -> None:
    """A SOAP 1.2 or 1.1 fault becomes zeep's Fault, as the rest of the probe expects."""
    fault = _find(root, "Fault")
    if fault is None:
        return
    # SOAP 1.2: Code/Value, Code/Subcode/Value…, Reason/Text; SOAP 1.1: faultcode/faultstring.
    code = _child(fault, "Code")
    subcodes: list[etree.QName] = []
    sub = _child(code, "Subcode")
    while sub is not None:
        value = _text(_child(sub, "Value"))
        if value:
            prefix, _, local = value.rpartition(":")
            namespace = sub.nsmap.get(prefix or None) if prefix else None
            subcodes.append(etree.QName(namespace, local) if namespace else etree.QName(local))
        sub = _child(sub, "Subcode")
    message = _text(_child(_child(fault, "Reason"), "Text")) or _text(_child(fault, "faultstring"))
    code_text = _text(_child(code, "Value")) or _text(_child(fault, "faultcode"))
    raise Fault(message or "SOAP fault", code=code_text or None, subcodes=subcodes)


def body(answer: Any, expected: str) -> etree._Element:
    """The `expected` element of an answer (zeep's raw response), or a classified failure."""
    content = getattr(answer, "content", None)
    if not isinstance(content, bytes | bytearray):
        raise StageFailure(Reason.PROTOCOL_ERROR, "the device gave no answer body")
    root = check_xml(bytes(content))
    _raise_fault(root)
    element = _find(root, expected)
    if element is None:
        raise StageFailure(Reason.PROTOCOL_ERROR, f"the answer has no {expected}")
    return element


def device_clock(answer: Any) -> dt.datetime | None:
    """The device's UTC clock from GetSystemDateAndTime (None when it gives none)."""
    utc = _child(body(answer, "SystemDateAndTime"), "UTCDateTime")
    date, clock = _child(utc, "Date"), _child(utc, "Time")
    try:
        return dt.datetime(
            int(_text(_child(date, "Year"))),
            int(_text(_child(date, "Month"))),
            int(_text(_child(date, "Day"))),
            int(_text(_child(clock, "Hour"))),
            int(_text(_child(clock, "Minute"))),
            int(_text(_child(clock, "Second"))),
            tzinfo=dt.UTC,
        )
    except ValueError:  # missing or out-of-range fields: a clock we cannot use
        return None


def device_identity(answer: Any) -> DeviceIdentity:
    info = body(answer, "GetDeviceInformationResponse")
    return DeviceIdentity(
        manufacturer=_text(_child(info, "Manufacturer")),
        model=_text(_child(info, "Model")),
        firmware=_text(_child(info, "FirmwareVersion")),
        serial=_text(_child(info, "SerialNumber")),
        hardware=_text(_child(info, "HardwareId")),
    )


def service_addresses(answer: Any) -> dict[str, str]:
    """Namespace → XAddr of every service GetServices lists."""
    services = body(answer, "GetServicesResponse")
    found = {}
    for service in services:
        if not isinstance(service.tag, str) or _local(service) != "Service":
            continue
        namespace, xaddr = _text(_child(service, "Namespace")), _text(_child(service, "XAddr"))
        if namespace and xaddr:
            found[namespace] = xaddr
    return found


def capability_addresses(answer: Any) -> dict[str, str]:
    """Namespace → XAddr from GetCapabilities (devices without GetServices)."""
    capabilities = body(answer, "Capabilities")
    namespaces = {
        "Device": "http://www.onvif.org/ver10/device/wsdl",
        "Media": MEDIA_NAMESPACE,
    }
    found = {}
    for name, namespace in namespaces.items():
        xaddr = _text(_child(_child(capabilities, name), "XAddr"))
        if xaddr:
            found[namespace] = xaddr
    return found


# The image analysis works on frames about 480 pixels wide: a stream at least
# this wide carries all it needs.
MIN_SNAPSHOT_WIDTH = 640


def _profile_width(profile: etree._Element) -> int | None:
    resolution = _child(_child(profile, "VideoEncoderConfiguration"), "Resolution")
    width = _text(_child(resolution, "Width"))
    return int(width) if width.isdigit() and int(width) > 0 else None


def snapshot_profile_token(answer: Any) -> str | None:
    """The media profile to take snapshots from: the smallest stream at least
    MIN_SNAPSHOT_WIDTH wide (a camera's sub-stream, typically 640×360 or
    704×576), else the widest, else the first profile listed.

    A sub-stream snapshot is a tenth of the bytes of a 1080p main-stream one
    and decodes several times faster, for the same diagnosis: at 10,000
    cameras that is the difference between a poll cycle within a minute and
    one of two. A camera that ignores the profile and always sends its main
    stream is still analysed, at the main stream's cost.
    """
    response = body(answer, "GetProfilesResponse")
    profiles = [
        (p.get("token") or "", _profile_width(p))
        for p in response
        if isinstance(p.tag, str) and _local(p) == "Profiles"
    ]
    profiles = [(token, width) for token, width in profiles if token]
    if not profiles:
        return None
    wide_enough = [(w, t) for t, w in profiles if w is not None and w >= MIN_SNAPSHOT_WIDTH]
    if wide_enough:
        return min(wide_enough)[1]
    known = [(w, t) for t, w in profiles if w is not None]
    if known:
        return max(known)[1]
    return profiles[0][0]


def snapshot_uri(answer: Any) -> str:
    return _text(_child(_find(body(answer, "GetSnapshotUriResponse"), "MediaUri"), "Uri"))
