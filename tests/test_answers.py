"""Canned ONVIF answers in the shapes firmware really sends: prefixes, SOAP 1.1, gaps."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from zeep.exceptions import Fault

from monitor.probing import answers
from monitor.probing.errors import StageFailure, is_not_authorized
from monitor.probing.result import Reason

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"


def raw(body: str, *, envelope: str = SOAP12, extra_ns: str = "") -> SimpleNamespace:
    text = (
        f'<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="{envelope}" '
        'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" '
        'xmlns:trt="http://www.onvif.org/ver10/media/wsdl" '
        'xmlns:tt="http://www.onvif.org/ver10/schema" '
        f'xmlns:ter="http://www.onvif.org/ver10/error" {extra_ns}>'
        f"<env:Body>{body}</env:Body></env:Envelope>"
    )
    return SimpleNamespace(content=text.encode())


CLOCK = """<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>
<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>
<tt:UTCDateTime><tt:Time><tt:Hour>3</tt:Hour><tt:Minute>4</tt:Minute><tt:Second>5</tt:Second>
</tt:Time><tt:Date><tt:Year>2026</tt:Year><tt:Month>11</tt:Month><tt:Day>26</tt:Day></tt:Date>
</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"""


def test_clock_read_whatever_the_prefixes():
    expected = dt.datetime(2026, 11, 26, 3, 4, 5, tzinfo=dt.UTC)
    assert answers.device_clock(raw(CLOCK)) == expected
    # Some firmware binds the ONVIF namespaces to its own prefixes.
    renamed = CLOCK.replace("tds:", "ns1:").replace("tt:", "ns2:")
    ns = (
        'xmlns:ns1="http://www.onvif.org/ver10/device/wsdl" '
        'xmlns:ns2="http://www.onvif.org/ver10/schema"'
    )
    assert answers.device_clock(raw(renamed, extra_ns=ns)) == expected


def test_a_device_with_only_local_time_gives_no_utc_clock():
    local_only = CLOCK.replace("UTCDateTime", "LocalDateTime")
    assert answers.device_clock(raw(local_only)) is None
    broken = CLOCK.replace("<tt:Month>11</tt:Month>", "<tt:Month>13</tt:Month>")
    assert answers.device_clock(raw(broken)) is None


def test_identity_with_missing_optional_fields():
    info = raw(
        "<tds:GetDeviceInformationResponse><tds:Manufacturer> HIKVISION </tds:Manufacturer>"
        "<tds:Model>DS-2CD2T47G2-L</tds:Model><tds:FirmwareVersion>V5.7.12 build 230208"
        "</tds:FirmwareVersion><tds:SerialNumber>DS-2CD2T47G2-L20230301AAWRK12345678"
        "</tds:SerialNumber></tds:GetDeviceInformationResponse>"
    )
    identity = answers.device_identity(info)
    assert (identity.manufacturer, identity.firmware) == ("HIKVISION", "V5.7.12 build 230208")
    assert identity.hardware == ""


def test_soap12_not_authorized_fault_is_recognised():
    fault = raw(
        "<env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode>"
        "<env:Value>ter:NotAuthorized</env:Value></env:Subcode></env:Code>"
        '<env:Reason><env:Text xml:lang="en">Sender not Authorized</env:Text></env:Reason>'
        "</env:Fault>"
    )
    with pytest.raises(Fault) as error:
        answers.device_identity(fault)
    assert is_not_authorized(error.value)
    assert error.value.subcodes[0].localname == "NotAuthorized"


def test_soap11_fault_from_older_firmware():
    soap11 = "http://schemas.xmlsoap.org/soap/envelope/"
    fault = raw(
        "<env:Fault><faultcode>env:Client</faultcode><faultstring>Not Authorized</faultstring>"
        "</env:Fault>",
        envelope=soap11,
    )
    with pytest.raises(Fault) as error:
        answers.device_identity(fault)
    assert is_not_authorized(error.value) and error.value.message == "Not Authorized"


def test_other_faults_are_not_auth_failures():
    fault = raw(
        "<env:Fault><env:Code><env:Value>env:Receiver</env:Value><env:Subcode>"
        "<env:Value>ter:ActionNotSupported</env:Value></env:Subcode></env:Code>"
        "<env:Reason><env:Text>Optional Action Not Implemented</env:Text></env:Reason>"
        "</env:Fault>"
    )
    with pytest.raises(Fault) as error:
        answers.service_addresses(fault)
    assert not is_not_authorized(error.value)


def test_service_addresses_and_the_capabilities_fallback():
    services = raw(
        "<tds:GetServicesResponse>"
        "<tds:Service><tds:Namespace>http://www.onvif.org/ver10/device/wsdl</tds:Namespace>"
        "<tds:XAddr>http://192.168.1.64/onvif/device_service</tds:XAddr></tds:Service>"
        "<tds:Service><tds:Namespace>http://www.onvif.org/ver10/media/wsdl</tds:Namespace>"
        "<tds:XAddr>http://192.168.1.64/onvif/Media</tds:XAddr></tds:Service>"
        "<tds:Service><tds:Namespace></tds:Namespace></tds:Service>"
        "</tds:GetServicesResponse>"
    )
    found = answers.service_addresses(services)
    assert found[answers.MEDIA_NAMESPACE] == "http://192.168.1.64/onvif/Media"
    assert len(found) == 2
    capabilities = raw(
        "<tds:GetCapabilitiesResponse><tds:Capabilities>"
        "<tt:Device><tt:XAddr>http://10.0.0.8/onvif/device_service</tt:XAddr></tt:Device>"
        "<tt:Media><tt:XAddr>http://10.0.0.8/onvif/media_service</tt:XAddr></tt:Media>"
        "</tds:Capabilities></tds:GetCapabilitiesResponse>"
    )
    found = answers.capability_addresses(capabilities)
    assert found[answers.MEDIA_NAMESPACE] == "http://10.0.0.8/onvif/media_service"


def test_profiles_and_snapshot_uri():
    profiles = raw(
        '<trt:GetProfilesResponse><trt:Profiles token="MainStream" fixed="true">'
        "<tt:Name>mainStream</tt:Name></trt:Profiles>"
        '<trt:Profiles token="SubStream"><tt:Name>sub</tt:Name></trt:Profiles>'
        "</trt:GetProfilesResponse>"
    )
    # No resolutions given: the first profile.
    assert answers.snapshot_profile_token(profiles) == "MainStream"
    assert answers.snapshot_profile_token(raw("<trt:GetProfilesResponse/>")) is None


def _profiles(*streams: tuple[str, int, int]) -> object:
    return raw(
        "<trt:GetProfilesResponse>"
        + "".join(
            f'<trt:Profiles token="{token}"><tt:VideoEncoderConfiguration token="e">'
            f"<tt:Resolution><tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height></tt:Resolution>"
            "</tt:VideoEncoderConfiguration></trt:Profiles>"
            for token, w, h in streams
        )
        + "</trt:GetProfilesResponse>"
    )


def test_snapshots_come_from_the_smallest_stream_wide_enough_to_analyse():
    main, sub, third = ("main", 1920, 1080), ("sub", 640, 360), ("third", 1280, 720)
    assert answers.snapshot_profile_token(_profiles(main, sub, third)) == "sub"
    assert answers.snapshot_profile_token(_profiles(main, ("d1", 704, 576), third)) == "d1"
    # A CIF sub-stream (352×288) is too coarse: the next one up.
    assert answers.snapshot_profile_token(_profiles(main, ("cif", 352, 288), third)) == "third"
    # Every stream small: the widest of them.
    assert answers.snapshot_profile_token(_profiles(("a", 320, 240), ("b", 352, 288))) == "b"
    uri = raw(
        "<trt:GetSnapshotUriResponse><trt:MediaUri>"
        "<tt:Uri>http://10.0.0.8/cgi-bin/snapshot.cgi?channel=1</tt:Uri>"
        "</trt:MediaUri></trt:GetSnapshotUriResponse>"
    )
    assert answers.snapshot_uri(uri) == "http://10.0.0.8/cgi-bin/snapshot.cgi?channel=1"


def test_an_answer_without_the_expected_element_is_a_protocol_error():
    with pytest.raises(StageFailure) as error:
        answers.device_identity(raw("<tds:SomethingElse/>"))
    assert error.value.reason is Reason.PROTOCOL_ERROR
    with pytest.raises(StageFailure):
        answers.device_identity(SimpleNamespace(content=None))
