"""``tianyan discover SITE_MAP``: ONVIF devices on the network that the site map does not know.

WS-Discovery (`monitor.discovery.wsdiscovery`) finds the devices that answer;
each is matched to the site map by address — any of its XAddrs' host:port
equal to a camera's (or an NVR's) ``onvif`` host:port. The report lists the
devices not in the site map, and the site-map cameras that did not answer.
Exit status 0 when every answering device is in the site map and every
camera that was asked answered, 1 otherwise, 2 for a usage error.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO
from urllib.parse import urlsplit

from monitor.discovery.wsdiscovery import (
    DISCOVERY_PORT,
    MULTICAST_ADDRESS,
    DiscoveryResult,
    ProbeMatch,
    discover,
    prefixed,
)
from monitor.technician import parse_host_port
from site_map.model import SiteMap

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_TIMEOUT = 3.0
_UNSET_VARIABLE = re.compile(r"environment variable (\S+) is not set")


def normal_host(host: str) -> str:
    """One spelling per host: IP addresses canonical, names lower-case without the root dot."""
    host = host.strip().strip("[]")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host.lower().rstrip(".")


def show(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def xaddr_address(xaddr: str) -> tuple[str, int] | None:
    """(host, port) of a device-service URL; None when it is not an http(s) URL."""
    try:
        parts = urlsplit(xaddr)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return normal_host(parts.hostname), port or (443 if parts.scheme == "https" else 80)


def load_for_discovery(path: str) -> SiteMap:
    """Load a site map; password variables need not be set (discovery sends no password).

    Raises `site_map.loader.SiteMapError` for anything else wrong with it.
    """
    from site_map.loader import SiteMapError, load_site_map

    try:
        return load_site_map(path).site_map
    except SiteMapError as exc:
        unset = {m.group(1) for p in exc.problems if (m := _UNSET_VARIABLE.search(p.message))}
        if not unset:
            raise
    # Placeholders for the unset variables only; every other problem still counts.
    environ = {**os.environ, **dict.fromkeys(unset, "")}
    return load_site_map(path, environ=environ).site_map


@dataclass(frozen=True, slots=True)
class Known:
    kind: str  # camera | nvr
    id: str
    name: str
    host: str  # as normal_host spells it
    port: int


def _known(site_map: SiteMap) -> list[Known]:
    cameras = [
        Known("camera", c.id, c.name, normal_host(c.onvif.host), c.onvif.port)
        for c in site_map.cameras
    ]
    nvrs = [Known("nvr", n.id, n.name, normal_host(n.host), n.port) for n in site_map.nvrs]
    return cameras + nvrs


def compare(
    site_map: SiteMap, result: DiscoveryResult, probed_hosts: set[str] | None
) -> dict[str, Any]:
    """Matched, unregistered and silent devices. `probed_hosts` None: multicast (everyone)."""
    known = _known(site_map)
    by_address = {(k.host, k.port): k for k in known}
    by_host: dict[str, list[Known]] = {}
    for k in known:
        by_host.setdefault(k.host, []).append(k)

    # One entry per device, however many probes (types, repeats) it answered.
    devices: dict[tuple[str, tuple[str, ...]], ProbeMatch] = {}
    for match in result.matches:
        devices.setdefault((match.endpoint, match.xaddrs), match)

    registered: list[dict[str, Any]] = []
    unregistered: list[dict[str, Any]] = []
    answered: set[tuple[str, str]] = set()
    for match in devices.values():
        addresses = [a for a in (xaddr_address(x) for x in match.xaddrs) if a is not None]
        hits = [by_address[a] for a in addresses if a in by_address]
        common = {
            "endpoint": match.endpoint,
            "xaddrs": list(match.xaddrs),
            "source": show(*match.source),
        }
        if hits:
            for hit in hits:
                answered.add((hit.kind, hit.id))
                registered.append(
                    {
                        "kind": hit.kind,
                        "id": hit.id,
                        "name": hit.name,
                        "address": show(hit.host, hit.port),
                        **common,
                    }
                )
            continue
        hosts = {host for host, _ in addresses} or {normal_host(match.source[0])}
        same_host = sorted({k.id for host in hosts for k in by_host.get(host, [])})
        unregistered.append(
            {
                "address": show(*addresses[0]) if addresses else None,
                "name": match.scope("name"),
                "hardware": match.scope("hardware"),
                "location": match.scope("location"),
                "types": [prefixed(t) for t in match.types],
                "scopes": list(match.scopes),
                "same_host_as": same_host,
                **common,
            }
        )

    not_answering = []
    not_probed = 0
    for camera in (k for k in known if k.kind == "camera"):
        if ("camera", camera.id) in answered:
            continue
        if probed_hosts is not None and camera.host not in probed_hosts:
            not_probed += 1
            continue
        not_answering.append(
            {"id": camera.id, "name": camera.name, "address": show(camera.host, camera.port)}
        )
    registered.sort(key=lambda d: (d["kind"], d["id"]))
    unregistered.sort(key=lambda d: (d["address"] or "", d["endpoint"]))
    return {
        "registered": registered,
        "unregistered": unregistered,
        "not_answering": not_answering,
        "not_probed": not_probed,
    }


def report(
    site_map_path: str,
    site_map: SiteMap,
    result: DiscoveryResult,
    timeout: float,
    asked: Sequence[tuple[str, int]] = (),
) -> dict[str, Any]:
    """The JSON document of ``tianyan discover --format json``.

    `asked`: the addresses given for directed probes, as written (host names
    too, where `result.sent_to` has what they resolved to).
    """
    probed_hosts = None
    if not result.multicast:
        probed_hosts = {normal_host(h) for h, _ in [*result.sent_to, *asked]}
    found = compare(site_map, result, probed_hosts)
    answering = len(found["registered"]) + len(found["unregistered"])
    return {
        "site_map": site_map_path,
        "mode": "multicast" if result.multicast else "directed",
        "probed": [show(h, p) for h, p in result.sent_to],
        "timeout_seconds": timeout,
        "devices_answering": answering,
        **found,
        "errors": list(result.errors),
    }


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        (
            "  " + "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]])
        ).rstrip()
        for row in rows
    ]


def render_table(doc: Mapping[str, Any]) -> str:
    how = (
        f"multicast probe to {MULTICAST_ADDRESS}:{DISCOVERY_PORT} (this network segment)"
        if doc["mode"] == "multicast"
        else f"directed probes to {len(doc['probed'])} address(es)"
    )
    lines = [
        f"WS-Discovery: {how}, waited {doc['timeout_seconds']:g} s; "
        f"{doc['devices_answering']} device(s) answered",
        "",
    ]
    unregistered = doc["unregistered"]
    lines.append(f"Not in the site map / 未登记设备: {len(unregistered)}")
    if unregistered:
        rows: list[tuple[str, ...]] = [("address", "name", "hardware", "same host as", "endpoint")]
        rows += [
            (
                d["address"] or f"(no XAddrs; answered from {d['source']})",
                d["name"] or "-",
                d["hardware"] or "-",
                ", ".join(d["same_host_as"]) or "-",
                d["endpoint"],
            )
            for d in unregistered
        ]
        lines += _table(rows)
    lines.append("")
    silent = doc["not_answering"]
    lines.append(f"Site-map cameras that did not answer / 未应答的已登记摄像机: {len(silent)}")
    if silent:
        rows = [("camera", "address", "name")]
        rows += [(d["id"], d["address"], d["name"] or "-") for d in silent]
        lines += _table(rows)
    if doc["not_probed"]:
        lines.append(f"  ({doc['not_probed']} more camera(s) on hosts that were not probed)")
    lines.append("")
    registered = doc["registered"]
    lines.append(f"In the site map and answering / 已登记且应答: {len(registered)}")
    if registered:
        rows = [("id", "kind", "address", "name")]
        rows += [(d["id"], d["kind"], d["address"], d["name"] or "-") for d in registered]
        lines += _table(rows)
    for error in doc["errors"]:
        lines.append(f"error: {error}")
    return "\n".join(lines)


def run_discover(
    site_map_path: str,
    *,
    addresses: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    fmt: str = "table",
    out: TextIO,
    err: TextIO,
) -> int:
    """Discover, compare with the site map, print; return the exit status."""
    from site_map.loader import SiteMapError

    try:
        targets = [parse_host_port(a, DISCOVERY_PORT) for a in addresses]
    except ValueError as exc:
        print(f"tianyan discover: {exc}", file=err)
        return EXIT_USAGE
    if not timeout > 0:
        print("tianyan discover: --timeout must be more than 0 seconds", file=err)
        return EXIT_USAGE
    try:
        site_map = load_for_discovery(site_map_path)
    except SiteMapError as exc:
        print(str(exc), file=err)
        return EXIT_USAGE
    result = asyncio.run(discover(targets or None, timeout))
    doc = report(site_map_path, site_map, result, timeout, targets)
    if fmt == "json":
        print(json.dumps(doc, ensure_ascii=False, indent=2), file=out)
    else:
        print(render_table(doc), file=out)
    clean = not doc["unregistered"] and not doc["not_answering"] and not doc["errors"]
    return EXIT_OK if clean else EXIT_FAILED
