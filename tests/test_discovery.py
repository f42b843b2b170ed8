"""`tianyan discover` and the simulator's WS-Discovery responder, over loopback only.

Every probe here is a directed (unicast) probe to a 127.x address; the
multicast path is replaced by a guard that fails the test if it is reached.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from monitor.cli import main
from monitor.discovery import wsdiscovery
from monitor.discovery.wsdiscovery import (
    ACTION_PROBE_MATCHES,
    ANONYMOUS,
    SOAP_ENV,
    WSA,
    WSD,
    discover,
    new_message_id,
    parse_probe_matches,
    probe_matches_message,
    probe_message,
)
from monitor.simulator.discovery import advert_for, endpoint_for
from monitor.simulator.faults import parse_fault
from monitor.simulator.server import build_simulator
from monitor.technician.discover_command import compare, xaddr_address
from site_map.model import SiteMap
from tests.campus import PASSWORD, PASSWORD_ENV, free_port, write_yaml
from tests.test_probe_command import free_udp_port, serving_in_thread

NET = "127.43"
HOSTS = {
    "gate": f"{NET}.0.1",
    "lab": f"{NET}.0.2",
    "dorm": f"{NET}.0.3",
    "new": f"{NET}.1.1",
    "nvr": f"{NET}.1.2",
    "far": f"{NET}.5.5",  # in the site map, never probed
    "nobody": f"{NET}.9.9",  # probed, nothing there
}


@pytest.fixture(autouse=True)
def no_multicast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests must never send a multicast probe onto a real network."""

    def refuse() -> None:
        raise AssertionError("a test tried to send a WS-Discovery multicast probe")

    monkeypatch.setattr(wsdiscovery, "_multicast_socket", refuse)


def camera(cid: str, host: str, port: int, name: str = "") -> dict[str, Any]:
    return {
        "id": cid,
        "name": name or cid,
        "sites": ["s"],
        "onvif": {"host": host, "port": port},
    }


def site_map_data(
    cameras: list[dict[str, Any]], nvrs: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    return {
        "school": "Discovery Test",
        "campuses": [{"id": "c"}],
        "sites": [{"id": "s", "campus": "c", "category": "library"}],
        "cameras": cameras,
        "nvrs": list(nvrs),
        "credentials": {"default": {"username": "admin", "password_env": PASSWORD_ENV}},
    }


@pytest.fixture
def campus(tmp_path: Path) -> dict[str, Any]:
    """A site map (file) and a larger simulated network: some devices are not in the map."""
    ports = {key: free_port(host) for key, host in HOSTS.items() if key not in ("far", "nobody")}
    lab2_port, moved_port = free_port(HOSTS["gate"]), free_port(HOSTS["lab"])
    registered = [
        camera("cam-gate", HOSTS["gate"], ports["gate"], "北门入口全景"),
        camera("cam-gate-2", HOSTS["gate"], lab2_port),
        camera("cam-lab", HOSTS["lab"], ports["lab"], "化学实验室"),
        camera("cam-dorm", HOSTS["dorm"], ports["dorm"]),  # unplugged
        camera("cam-far", HOSTS["far"], 80),
    ]
    nvr = {"id": "nvr-1", "host": HOSTS["nvr"], "port": ports["nvr"]}
    extra = [
        camera("new-cam", HOSTS["new"], ports["new"], "新装摄像机"),
        camera("moved-cam", HOSTS["lab"], moved_port),  # same host as cam-lab, another port
        camera("nvr-device", HOSTS["nvr"], ports["nvr"]),  # answers like a camera would
    ]
    simulated = [c for c in registered if c["id"] != "cam-far"] + extra
    simulator = build_simulator(
        SiteMap.model_validate(site_map_data(simulated)),
        base_dir=tmp_path,
        faults={"cam-dorm": parse_fault("offline")},
        environ={PASSWORD_ENV: PASSWORD},
        discovery=True,
    )
    udp_port = free_udp_port(HOSTS["gate"])
    assert simulator.discovery is not None
    simulator.discovery.port = udp_port
    path = write_yaml(tmp_path / "site-map.yaml", site_map_data(registered, [nvr]))
    probed = [f"{host}:{udp_port}" for key, host in HOSTS.items() if key != "far"]
    return {
        "simulator": simulator,
        "site_map": path,
        "udp_port": udp_port,
        "addresses": probed,
        "ports": {**ports, "moved": moved_port},
    }


class _Inbox(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: list[bytes] = []

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.received.append(data)


async def exchange(message: bytes, host: str, port: int, wait: float = 0.3) -> list[bytes]:
    """Send one datagram to host:port (loopback), return what came back within `wait`."""
    loop = asyncio.get_running_loop()
    transport, inbox = await loop.create_datagram_endpoint(_Inbox, local_addr=("127.0.0.1", 0))
    try:
        transport.sendto(message, (host, port))
        await asyncio.sleep(wait)
    finally:
        transport.close()
    return inbox.received


# -- the responder ----------------------------------------------------------------------------
async def test_probe_matches_follow_the_ws_discovery_format_onvif_uses(campus):
    async with campus["simulator"] as simulator:
        assert simulator.discovery.errors == {}
        message_id = new_message_id()
        answers = await exchange(probe_message(message_id), HOSTS["lab"], campus["udp_port"])
    assert len(answers) == 2  # cam-lab and moved-cam share the host
    root = etree.fromstring(answers[0])
    header = root.find(f"{{{SOAP_ENV}}}Header")
    assert root.tag == f"{{{SOAP_ENV}}}Envelope"
    assert header.findtext(f"{{{WSA}}}Action") == ACTION_PROBE_MATCHES
    assert header.findtext(f"{{{WSA}}}RelatesTo") == message_id
    assert header.findtext(f"{{{WSA}}}To") == ANONYMOUS
    assert header.findtext(f"{{{WSA}}}MessageID").startswith("urn:uuid:")
    assert header.find(f"{{{WSD}}}AppSequence").get("MessageNumber").isdigit()
    match = root.find(f"{{{SOAP_ENV}}}Body/{{{WSD}}}ProbeMatches/{{{WSD}}}ProbeMatch")
    types = match.find(f"{{{WSD}}}Types")
    assert types.text.split() == ["dn:NetworkVideoTransmitter", "tds:Device"]
    assert types.nsmap["dn"] == "http://www.onvif.org/ver10/network/wsdl"
    assert types.nsmap["tds"] == "http://www.onvif.org/ver10/device/wsdl"
    endpoints = set()
    for answer in answers:
        _, (parsed,) = parse_probe_matches(answer, ("x", 0))
        endpoints.add(parsed.endpoint)
        assert parsed.metadata_version == 1
        assert parsed.scope("location") == "country/china"
        assert parsed.scope("hardware")
        (xaddr,) = parsed.xaddrs
        assert xaddr.startswith(f"http://{HOSTS['lab']}:") and xaddr.endswith("/device_service")
    assert endpoints == {endpoint_for("cam-lab"), endpoint_for("moved-cam")}
    assert endpoint_for("cam-lab") == endpoint_for("cam-lab")  # fixed per camera id
    assert endpoint_for("cam-lab").startswith("urn:uuid:")


async def test_names_are_carried_in_scopes(campus):
    async with campus["simulator"] as simulator:
        advert = advert_for(simulator.devices["cam-gate"])
        answers = await exchange(probe_message(new_message_id()), HOSTS["new"], campus["udp_port"])
    assert "onvif://www.onvif.org/name/%E5%8C%97%E9%97%A8%E5%85%A5%E5%8F%A3%E5%85%A8%E6%99%AF" in (
        advert.scopes
    )
    _, (match,) = parse_probe_matches(answers[0], ("x", 0))
    assert match.scope("name") == "新装摄像机"


def _probe_with(types: str = "", scopes: str = "", match_by: str = "") -> tuple[str, bytes]:
    message_id = new_message_id()
    rule = f' MatchBy="{match_by}"' if match_by else ""
    body = (f"<d:Types>{types}</d:Types>" if types else "") + (
        f"<d:Scopes{rule}>{scopes}</d:Scopes>" if scopes else ""
    )
    message = (
        f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:a="{WSA}" xmlns:d="{WSD}" '
        'xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:p="urn:example:printers">'
        f"<s:Header><a:Action>{WSD}/Probe</a:Action><a:MessageID>{message_id}</a:MessageID>"
        "<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header>"
        f"<s:Body><d:Probe>{body}</d:Probe></s:Body></s:Envelope>"
    )
    return message_id, message.encode()


@pytest.mark.parametrize(
    ("types", "scopes", "match_by", "answered"),
    [
        ("", "", "", True),  # no Types: every device matches
        ("dn:NetworkVideoTransmitter", "", "", True),
        ("p:Printer", "", "", False),
        ("", "onvif://www.onvif.org/location/country", "", True),
        ("", "ONVIF://www.onvif.org/location/country/china/", "", True),
        ("", "onvif://www.onvif.org/location/city/beijing", "", False),
        ("", "onvif://www.onvif.org/Profile/Streaming", f"{WSD}/strcmp0", True),
        ("", "onvif://www.onvif.org/Profile", f"{WSD}/strcmp0", False),
        ("", "onvif://www.onvif.org/Profile/Streaming", "urn:unknown-rule", False),
    ],
)
async def test_types_and_scopes_are_matched(campus, types, scopes, match_by, answered):
    message_id, message = _probe_with(types, scopes, match_by)
    async with campus["simulator"]:
        answers = await exchange(message, HOSTS["new"], campus["udp_port"])
    assert bool(answers) is answered
    if answered:
        assert parse_probe_matches(answers[0], ("x", 0))[0] == message_id


async def test_hostile_or_broken_datagrams_get_no_answer(campus):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        + _probe_with()[1].replace(b"</a:MessageID>", b"&b;</a:MessageID>")
    )
    external = b'<!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + _probe_with()[1]
    soap11 = _probe_with()[1].replace(
        SOAP_ENV.encode(), b"http://schemas.xmlsoap.org/soap/envelope/"
    )
    not_a_probe = _probe_with()[1].replace(b"/Probe</a:Action>", b"/Resolve</a:Action>")
    async with campus["simulator"]:
        for message in (bomb, external, b"\x00\xff garbage", b"<a>", soap11, not_a_probe):
            assert await exchange(message, HOSTS["new"], campus["udp_port"], wait=0.1) == []
        # ... and it still answers a proper probe.
        assert await exchange(probe_message(new_message_id()), HOSTS["new"], campus["udp_port"])


async def test_a_repeated_probe_is_answered_once_and_offline_cameras_are_silent(campus):
    message = probe_message(new_message_id())
    async with campus["simulator"] as simulator:
        loop = asyncio.get_running_loop()
        transport, inbox = await loop.create_datagram_endpoint(_Inbox, local_addr=("127.0.0.1", 0))
        try:
            for _ in range(3):  # SOAP-over-UDP retransmissions keep the MessageID
                transport.sendto(message, (HOSTS["new"], campus["udp_port"]))
            await asyncio.sleep(0.3)
        finally:
            transport.close()
        assert len(inbox.received) == 1
        assert (
            await exchange(probe_message(new_message_id()), HOSTS["dorm"], campus["udp_port"]) == []
        )
        simulator.set_fault("new-cam", parse_fault("offline"))
        assert (
            await exchange(probe_message(new_message_id()), HOSTS["new"], campus["udp_port"]) == []
        )
        simulator.set_fault("new-cam", None)
        assert await exchange(probe_message(new_message_id()), HOSTS["new"], campus["udp_port"])
    assert simulator.discovery.hosts == []  # stopped: every socket closed


# -- the client and the comparison ----------------------------------------------------------
async def test_directed_probes_find_the_unregistered_and_the_silent(campus):
    port = campus["udp_port"]
    async with campus["simulator"]:
        result = await discover([(h, port) for k, h in HOSTS.items() if k != "far"], 0.5)
    assert not result.multicast and not result.errors
    assert len(result.sent_to) == 6
    # Against an empty site map every answering device is unregistered, none is silent.
    found = compare(SiteMap.model_validate(site_map_data([])), result, None)
    assert len(found["unregistered"]) == 6 and found["not_answering"] == []
    endpoints = {m.endpoint for m in result.matches}
    assert endpoints == {
        endpoint_for(c) for c in ("cam-gate", "cam-gate-2", "cam-lab", "new-cam", "moved-cam")
    } | {endpoint_for("nvr-device")}


def test_discover_command_json(campus, capsys, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)  # discovery needs no password
    args = ["discover", str(campus["site_map"]), "--timeout", "0.5", "--format", "json"]
    for address in campus["addresses"]:
        args += ["--address", address]
    with serving_in_thread(campus["simulator"]):
        code = main(args)
    captured = capsys.readouterr()
    assert code == 1, captured.err
    doc = json.loads(captured.out)
    assert set(doc) >= {
        "mode",
        "probed",
        "timeout_seconds",
        "devices_answering",
        "registered",
        "unregistered",
        "not_answering",
        "not_probed",
        "errors",
    }
    assert doc["mode"] == "directed" and len(doc["probed"]) == 6 and doc["errors"] == []
    ports = campus["ports"]
    assert [(d["kind"], d["id"]) for d in doc["registered"]] == [
        ("camera", "cam-gate"),
        ("camera", "cam-gate-2"),
        ("camera", "cam-lab"),
        ("nvr", "nvr-1"),
    ]
    unregistered = {d["address"]: d for d in doc["unregistered"]}
    assert set(unregistered) == {
        f"{HOSTS['new']}:{ports['new']}",
        f"{HOSTS['lab']}:{ports['moved']}",
    }
    new = unregistered[f"{HOSTS['new']}:{ports['new']}"]
    assert new["name"] == "新装摄像机" and new["hardware"] and new["same_host_as"] == []
    assert new["endpoint"] == endpoint_for("new-cam")
    assert new["types"] == ["dn:NetworkVideoTransmitter", "tds:Device"]
    assert new["xaddrs"] == [f"http://{HOSTS['new']}:{ports['new']}/onvif/device_service"]
    assert new["source"] == f"{HOSTS['new']}:{campus['udp_port']}"
    assert unregistered[f"{HOSTS['lab']}:{ports['moved']}"]["same_host_as"] == ["cam-lab"]
    assert doc["not_answering"] == [
        {"id": "cam-dorm", "name": "cam-dorm", "address": f"{HOSTS['dorm']}:{ports['dorm']}"}
    ]
    assert doc["not_probed"] == 1  # cam-far: its host was not asked
    assert doc["devices_answering"] == 6


def test_discover_command_table(campus, capsys):
    args = ["discover", str(campus["site_map"]), "--timeout", "0.5"]
    for address in campus["addresses"]:
        args += ["--address", address]
    with serving_in_thread(campus["simulator"]):
        code = main(args)
    out = capsys.readouterr().out
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("WS-Discovery: directed probes to 6 address(es)")
    assert "Not in the site map / 未登记设备: 2" in out
    new_row = next(line for line in lines if line.strip().startswith(HOSTS["new"]))
    assert "新装摄像机" in new_row and endpoint_for("new-cam") in new_row
    moved_row = next(line for line in lines if f"{HOSTS['lab']}:{campus['ports']['moved']}" in line)
    assert "cam-lab" in moved_row
    assert "did not answer / 未应答的已登记摄像机: 1" in out
    assert any(line.split()[:1] == ["cam-dorm"] for line in lines)
    assert "(1 more camera(s) on hosts that were not probed)" in out
    assert "In the site map and answering / 已登记且应答: 4" in out


def test_everything_registered_and_answering_exits_0(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    host = f"{NET}.7.1"
    cameras = [camera("cam-1", host, free_port(host))]
    simulator = build_simulator(
        SiteMap.model_validate(site_map_data(cameras)),
        base_dir=tmp_path,
        environ={PASSWORD_ENV: PASSWORD},
        discovery=True,
    )
    assert simulator.discovery is not None
    simulator.discovery.port = udp = free_udp_port(host)
    path = write_yaml(tmp_path / "map.yaml", site_map_data(cameras))
    with serving_in_thread(simulator):
        code = main(["discover", str(path), "--address", f"{host}:{udp}", "--timeout", "0.3"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Not in the site map / 未登记设备: 0" in out


def test_without_address_the_probe_is_multicast(tmp_path, capsys, monkeypatch):
    """The default path is taken (and stopped by the guard before any packet is sent)."""
    path = write_yaml(tmp_path / "map.yaml", site_map_data([]))
    with pytest.raises(AssertionError, match="multicast"):
        main(["discover", str(path), "--timeout", "0.1"])
    capsys.readouterr()


def test_answers_to_someone_else_are_ignored():
    ours, theirs = new_message_id(), new_message_id()
    answer = probe_matches_message(
        message_id=new_message_id(),
        relates_to=theirs,
        adverts=(),
        instance_id=1,
        message_number=1,
    )
    collector_result = wsdiscovery.DiscoveryResult(multicast=False, sent_to=[])
    collector = wsdiscovery._Collector({ours}, collector_result)
    collector.datagram_received(answer, ("127.0.0.1", 3702))
    assert collector_result.matches == []
    assert parse_probe_matches(b"<!DOCTYPE x []>" + answer, ("x", 0)) == ("", [])
    # Firmware that echoes the MessageID as "uuid:..." (or in capitals) is still heard.
    echoed = probe_matches_message(
        message_id=new_message_id(),
        relates_to=ours.removeprefix("urn:").upper(),
        adverts=(wsdiscovery.Advert("urn:uuid:1", (wsdiscovery.NVT,), (), ("http://h/",)),),
        instance_id=1,
        message_number=2,
    )
    collector.datagram_received(echoed, ("127.0.0.1", 3702))
    assert [m.endpoint for m in collector_result.matches] == ["urn:uuid:1"]


@pytest.mark.parametrize(
    ("xaddr", "expected"),
    [
        ("http://10.20.1.11/onvif/device_service", ("10.20.1.11", 80)),
        ("https://10.20.1.11/onvif/device_service", ("10.20.1.11", 443)),
        ("http://[FE80::1]:8080/onvif/device_service", ("fe80::1", 8080)),
        ("http://Cam-1.Example.EDU.:81/x", ("cam-1.example.edu", 81)),
        ("soap.udp://10.0.0.1:3702", None),
        ("http://10.0.0.1:99999/", None),
    ],
)
def test_xaddr_addresses(xaddr, expected):
    assert xaddr_address(xaddr) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--address", "127.0.0.1:port"], "port 'port' is not a number"),
        (["--timeout", "-1", "--address", "127.0.0.1"], "--timeout must be more than 0"),
    ],
)
def test_usage_errors_exit_2(tmp_path, capsys, args, message):
    path = write_yaml(tmp_path / "map.yaml", site_map_data([]))
    assert main(["discover", str(path), *args]) == 2
    assert message in capsys.readouterr().err


def test_a_broken_site_map_exits_2(tmp_path, capsys):
    data = site_map_data([camera("cam-1", "127.0.0.1", 80)])
    data["cameras"][0]["sites"] = ["nowhere"]
    path = write_yaml(tmp_path / "map.yaml", data)
    assert main(["discover", str(path), "--address", "127.0.0.1:9"]) == 2
    assert "nowhere" in capsys.readouterr().err
