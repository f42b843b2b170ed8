"""Checks that need the whole site map: ids, references, addresses, credentials.

`site_map.model` checks each object on its own; this module checks how the
objects refer to each other. It works on a validated `SiteMap` and reports
`Finding`s located by *model paths* such as ``("cameras", 3, "nvr", "id")``;
`site_map.loader` turns those paths into file names and line numbers.

No message ever contains a password: credentials are named by their key and
their source only.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from site_map.credentials import CredentialError, resolve_password
from site_map.model import SiteMap
from site_map.policy import CATEGORIES

ModelPath = tuple[str | int, ...]
"""A path into the site map, as in the YAML: section, index or key, field, ..."""

Where = Callable[[ModelPath], str]
"""Renders a model path as a place a user can find (``sites.yaml:12``)."""

# Kinds of names a reference may point to; keys of `known` in `check_site_map`.
KNOWN_KINDS = ("campus", "site", "nvr", "credentials", "category", "road_node")


@dataclass(frozen=True)
class Finding:
    """One cross-reference problem (or warning) at a model path."""

    path: ModelPath
    message: str
    warning: bool = False


def render_path(path: ModelPath) -> str:
    """``("cameras", 3, "onvif", "host")`` -> ``cameras[3].onvif.host``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _address(host: str, port: int) -> str:
    """host:port in a normal form (lower-case names, compressed IPv6 in brackets)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return f"{host.lower().rstrip('.')}:{port}"
    return f"[{ip.compressed}]:{port}" if ip.version == 6 else f"{ip.compressed}:{port}"


class _Checker:
    def __init__(self, site_map: SiteMap, where: Where, known: Mapping[str, Collection[str]]):
        self.site_map = site_map
        self.where = where
        self.known = known
        self.findings: list[Finding] = []

    def error(self, path: ModelPath, message: str) -> None:
        self.findings.append(Finding(path, message))

    def warn(self, path: ModelPath, message: str) -> None:
        self.findings.append(Finding(path, message, warning=True))

    def names(self, kind: str, declared: Collection[str]) -> set[str]:
        return set(declared) | set(self.known.get(kind, ()))

    def unique_ids(self, section: ModelPath, label: str, ids: Sequence[str]) -> set[str]:
        first: dict[str, int] = {}
        for index, ident in enumerate(ids):
            if ident in first:
                self.error(
                    (*section, index, "id"),
                    f"duplicate {label} id '{ident}' "
                    f"(first defined at {self.where((*section, first[ident], 'id'))})",
                )
            else:
                first[ident] = index
        return set(first)


def check_site_map(
    site_map: SiteMap,
    *,
    base_dir: Path,
    environ: Mapping[str, str] | None = None,
    known: Mapping[str, Collection[str]] | None = None,
    where: Where | None = None,
) -> list[Finding]:
    """Every cross-reference problem and warning of `site_map`, in section order.

    `base_dir` is the directory `password_file` paths are relative to;
    `environ` (default `os.environ`) is where `password_env` variables are
    looked up. `known` adds names (by kind, see `KNOWN_KINDS`) that exist in
    the input but were left out of `site_map` because they are invalid
    themselves, so that references to them are not reported a second time.
    `where` renders a model path for "first defined at ..." remarks.
    """
    env = dict(os.environ if environ is None else environ)
    checker = _Checker(site_map, where or render_path, known or {})
    _check_ids_and_sites(checker)
    _check_cameras(checker)
    _check_nvrs(checker)
    _check_addresses(checker)
    _check_roads(checker)
    _check_credentials(checker, base_dir, env)
    return checker.findings


def _check_ids_and_sites(c: _Checker) -> None:
    sm = c.site_map
    c.unique_ids(("campuses",), "campus", [campus.id for campus in sm.campuses])
    c.unique_ids(("sites",), "site", [site.id for site in sm.sites])
    campuses = c.names("campus", [campus.id for campus in sm.campuses])
    categories = c.names("category", [*CATEGORIES, *sm.categories])
    for index, site in enumerate(sm.sites):
        if site.campus not in campuses:
            c.error(("sites", index, "campus"), f"site '{site.id}': unknown campus '{site.campus}'")
        if site.category not in categories:
            close = difflib.get_close_matches(site.category, sorted(categories), n=1)
            hint = f"did you mean '{close[0]}'?" if close else "declare it under categories:"
            c.error(
                ("sites", index, "category"),
                f"site '{site.id}': unknown category '{site.category}' ({hint})",
            )


def _check_cameras(c: _Checker) -> None:
    sm = c.site_map
    c.unique_ids(("cameras",), "camera", [camera.id for camera in sm.cameras])
    sites = c.names("site", [site.id for site in sm.sites])
    nvrs = c.names("nvr", [nvr.id for nvr in sm.nvrs])
    credentials = c.names("credentials", sm.credentials)
    channels: dict[tuple[str, int], int] = {}
    for index, camera in enumerate(sm.cameras):
        name = f"camera '{camera.id}'"
        if not camera.sites:
            c.warn(("cameras", index), f"{name}: lists no sites, so it counts for no key site")
        listed: set[str] = set()
        for position, site_id in enumerate(camera.sites):
            path: ModelPath = ("cameras", index, "sites", position)
            if site_id in listed:
                c.error(path, f"{name}: site '{site_id}' is listed twice")
            elif site_id not in sites:
                c.error(path, f"{name}: unknown site '{site_id}'")
            listed.add(site_id)
        if camera.nvr is not None:
            ref = camera.nvr
            if ref.id not in nvrs:
                c.error(("cameras", index, "nvr", "id"), f"{name}: unknown nvr '{ref.id}'")
            slot = (ref.id, ref.channel)
            if slot in channels:
                other = channels[slot]
                c.error(
                    ("cameras", index, "nvr", "channel"),
                    f"{name}: nvr '{ref.id}' channel {ref.channel} is already used by "
                    f"camera '{sm.cameras[other].id}' "
                    f"({c.where(('cameras', other, 'nvr', 'channel'))})",
                )
            else:
                channels[slot] = index
        cred = camera.onvif.credentials
        if cred not in credentials:
            implicit = "credentials" not in camera.onvif.model_fields_set
            note = " (the default when onvif.credentials is not given)" if implicit else ""
            c.error(
                ("cameras", index, "onvif", "credentials"),
                f"{name}: unknown credentials '{cred}'{note}",
            )


def _check_nvrs(c: _Checker) -> None:
    sm = c.site_map
    c.unique_ids(("nvrs",), "nvr", [nvr.id for nvr in sm.nvrs])
    campuses = c.names("campus", [campus.id for campus in sm.campuses])
    credentials = c.names("credentials", sm.credentials)
    for index, nvr in enumerate(sm.nvrs):
        name = f"nvr '{nvr.id}'"
        if nvr.campus is not None and nvr.campus not in campuses:
            c.error(("nvrs", index, "campus"), f"{name}: unknown campus '{nvr.campus}'")
        if nvr.credentials not in credentials:
            implicit = "credentials" not in nvr.model_fields_set
            note = " (the default when credentials is not given)" if implicit else ""
            c.error(
                ("nvrs", index, "credentials"),
                f"{name}: unknown credentials '{nvr.credentials}'{note}",
            )


def _check_addresses(c: _Checker) -> None:
    """No two devices (cameras or NVRs) answer on the same host:port."""
    sm = c.site_map
    devices: list[tuple[str, ModelPath, str, int]] = [
        (f"camera '{cam.id}'", ("cameras", i, "onvif", "host"), cam.onvif.host, cam.onvif.port)
        for i, cam in enumerate(sm.cameras)
    ]
    devices += [
        (f"nvr '{nvr.id}'", ("nvrs", i, "host"), nvr.host, nvr.port)
        for i, nvr in enumerate(sm.nvrs)
    ]
    seen: dict[str, tuple[str, ModelPath]] = {}
    for label, path, host, port in devices:
        key = _address(host, port)
        if key in seen:
            other, other_path = seen[key]
            c.error(
                path,
                f"{label}: address {key} is already used by {other} ({c.where(other_path)})",
            )
        else:
            seen[key] = (label, path)


def _check_roads(c: _Checker) -> None:
    roads = c.site_map.roads
    c.unique_ids(("roads", "nodes"), "road node", [node.id for node in roads.nodes])
    sites = c.names("site", [site.id for site in c.site_map.sites])
    nodes = c.names("road_node", [node.id for node in roads.nodes])
    for index, node in enumerate(roads.nodes):
        if node.site is not None and node.site not in sites:
            c.error(
                ("roads", "nodes", index, "site"),
                f"road node '{node.id}': unknown site '{node.site}'",
            )
    for index, edge in enumerate(roads.edges):
        name = f"road edge '{edge.source}' -> '{edge.target}'"
        for end, node_id in (("from", edge.source), ("to", edge.target)):
            if node_id not in nodes:
                c.error(("roads", "edges", index, end), f"{name}: unknown road node '{node_id}'")


def _check_credentials(c: _Checker, base_dir: Path, environ: dict[str, str]) -> None:
    for key, credential in c.site_map.credentials.items():
        if credential.password is not None:
            c.warn(
                ("credentials", key, "password"),
                f"credentials '{key}': a literal password is written in the site map; "
                "use password_env or password_file instead",
            )
            continue
        field = "password_env" if credential.password_env else "password_file"
        try:
            resolve_password(key, credential, base_dir, environ)
        except CredentialError as exc:
            c.error(("credentials", key, field), str(exc))
