"""One full poll cycle over N simulated cameras, beside a bare-client baseline.

    python bench/poll_cycle.py [--cameras 2000] [--concurrency 200]

The simulator runs as its own process (as in production, the devices are not
in the monitor's process). The monitor's cycle is timed twice: the first
(cold: clients built, services discovered) and the second (steady state).
The baseline does the same wire work per camera with nothing but aiohttp and
lxml — POST GetSystemDateAndTime, POST GetDeviceInformation signed with a
WS-Security digest, GET the snapshot with HTTP digest auth — at the same
concurrency, so the ratio is the cost of the monitor's own machinery.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from lxml import etree
from prometheus_client import CollectorRegistry, Gauge, generate_latest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.logs import setup_logging

setup_logging()  # before the imports below, some of which log when imported

from monitor.config import PollSettings  # noqa: E402
from monitor.exporter.collector import SnapshotCollector  # noqa: E402
from monitor.polling.poller import Poller  # noqa: E402
from monitor.service import raise_open_file_limit  # noqa: E402
from monitor.storage.store import Store  # noqa: E402
from site_map.loader import load_site_map  # noqa: E402
from tests.campus import PASSWORD, PASSWORD_ENV, simulator_process, write_yaml  # noqa: E402

PORT = 8000
SOAP = "http://www.w3.org/2003/05/soap-envelope"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def bench_site_map(cameras: int) -> dict:
    sites = [
        {"id": f"site-{i}", "campus": "main", "category": "building_entrance"}
        for i in range(cameras // 4)
    ]
    return {
        "school": "Bench University",
        "campuses": [{"id": "main"}],
        "sites": sites,
        "cameras": [
            {
                "id": f"cam-{i:05d}",
                "sites": [f"site-{i // 4}"],
                "onvif": {"host": f"127.88.{i // 250}.{i % 250 + 1}", "port": PORT},
            }
            for i in range(cameras)
        ],
        "credentials": {"default": {"username": "admin", "password_env": PASSWORD_ENV}},
    }


FAULT_MIX: tuple[object, ...] = ("hang", "offline", "auth_fail")


def bench_faults(cameras: int, fraction: float) -> dict[str, object]:
    """Every 1/fraction-th camera faulty, cycling through the mix."""
    if fraction <= 0:
        return {}
    step = max(1, round(1 / fraction))
    faulty = range(step // 2, cameras, step)
    return {f"cam-{i:05d}": FAULT_MIX[n % len(FAULT_MIX)] for n, i in enumerate(faulty)}


def envelope(body: str, header: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{SOAP}" '
        'xmlns:tds="http://www.onvif.org/ver10/device/wsdl">'
        f"<s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def wsse_header(user: str, password: str) -> str:
    nonce = os.urandom(16)
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode()).digest())
    ns = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity"
    return (
        f'<wsse:Security xmlns:wsse="{ns}-secext-1.0.xsd" xmlns:wsu="{ns}-utility-1.0.xsd">'
        f"<wsse:UsernameToken><wsse:Username>{user}</wsse:Username>"
        f'<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-'
        f'username-token-profile-1.0#PasswordDigest">{digest.decode()}</wsse:Password>'
        f"<wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce>"
        f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"
    )


async def baseline(hosts: list[str], concurrency: int) -> float:
    """Seconds for the bare-client pass over every camera."""
    headers = {"Content-Type": "application/soap+xml; charset=utf-8"}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        queue = list(hosts)

        async def one(host: str) -> None:
            base = f"http://{host}:{PORT}"
            async with http.post(
                f"{base}/onvif/device_service",
                data=envelope("<tds:GetSystemDateAndTime/>"),
                headers=headers,
            ) as r:
                etree.fromstring(await r.read(), PARSER)
            async with http.post(
                f"{base}/onvif/device_service",
                data=envelope("<tds:GetDeviceInformation/>", wsse_header("admin", PASSWORD)),
                headers=headers,
            ) as r:
                etree.fromstring(await r.read(), PARSER)
            digest = aiohttp.DigestAuthMiddleware("admin", PASSWORD)
            async with http.get(f"{base}/onvif/snapshot/Profile_2.jpg", middlewares=(digest,)) as r:
                assert r.status == 200, r.status
                await r.read()

        async def worker() -> None:
            while queue:
                await one(queue.pop())

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - began


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class MonitorFigures:
    cold: float
    warm: float
    failed: int
    rss_growth_mib: float
    scrape_seconds: float
    scrape_bytes: int
    scrape_samples: int
    baseline_scrape_seconds: float


def best_of(runs: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - began)
    return best


def scrape_figures(poller: Poller) -> tuple[float, int, int, float]:
    """One /metrics rendering of the snapshot, beside plain client_python gauges."""
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(lambda: poller.snapshot))
    body = generate_latest(registry)
    samples = sum(len(m.samples) for m in registry.collect())
    seconds = best_of(3, lambda: generate_latest(registry))
    plain = CollectorRegistry()
    gauge = Gauge("plain_gauge", "baseline", ["camera", "kind"], registry=plain)
    for i in range(samples):
        gauge.labels(f"cam-{i % 10000:05d}", f"k{i // 10000}").set(i)
    return seconds, len(body), samples, best_of(3, lambda: generate_latest(plain))


async def monitor_cycles(
    site_map_path: Path, db: str, concurrency: int, timeout: float
) -> MonitorFigures:
    before = rss_mib()
    loaded = load_site_map(site_map_path)
    store = Store.open(db)
    poller = Poller(loaded, store, PollSettings(timeout_seconds=timeout, concurrency=concurrency))
    try:
        cold = await poller.run_cycle()
        warm = await poller.run_cycle()
        growth = rss_mib() - before
        scrape, size, samples, plain = scrape_figures(poller)
        return MonitorFigures(
            cold.finished_at - cold.started_at,
            warm.finished_at - warm.started_at,
            warm.failed,
            growth,
            scrape,
            size,
            samples,
            plain,
        )
    finally:
        await poller.close()
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cameras", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--faulty", type=float, default=0.0, help="fraction of faulty cameras")
    parser.add_argument("--timeout", type=float, default=10.0, help="probe deadline, seconds")
    args = parser.parse_args()
    raise_open_file_limit()
    os.environ[PASSWORD_ENV] = PASSWORD
    with tempfile.TemporaryDirectory() as tmp:
        data = bench_site_map(args.cameras)
        faults = bench_faults(args.cameras, args.faulty)
        path = write_yaml(Path(tmp) / "site-map.yaml", data)
        faults_path = write_yaml(Path(tmp) / "faults.yaml", faults) if faults else None
        last = data["cameras"][-1]["onvif"]
        with simulator_process(path, faults_path, (last["host"], last["port"])):
            # The baseline is the bare client's pace over the healthy cameras.
            hosts = [c["onvif"]["host"] for c in data["cameras"] if c["id"] not in faults]
            base = asyncio.run(baseline(hosts, args.concurrency))
            figures = asyncio.run(
                monitor_cycles(
                    path, f"sqlite:///{tmp}/bench.sqlite", args.concurrency, args.timeout
                )
            )
    n, healthy = args.cameras, len(hosts)
    f = figures
    print(f"cameras                 {n} ({len(faults)} faulty: {', '.join(map(str, FAULT_MIX))})")
    print(f"baseline (bare aiohttp) {base:7.2f} s  {healthy / base:8.1f} cameras/s (healthy only)")
    print(f"monitor, first cycle    {f.cold:7.2f} s  {n / f.cold:8.1f} cameras/s")
    print(f"monitor, steady cycle   {f.warm:7.2f} s  {n / f.warm:8.1f} cameras/s")
    print(f"ratio steady/baseline   {(n / f.warm) / (healthy / base):7.2f}")
    print(f"failed probes (steady)  {f.failed}")
    print(f"monitor RSS growth      {f.rss_growth_mib:7.0f} MiB")
    print(
        f"/metrics scrape         {f.scrape_seconds * 1000:7.1f} ms, "
        f"{f.scrape_bytes / 1e6:.1f} MB, "
        f"{f.scrape_samples} samples; plain gauges of as many samples "
        f"{f.baseline_scrape_seconds * 1000:.1f} ms (ratio "
        f"{f.scrape_seconds / f.baseline_scrape_seconds:.2f})"
    )


if __name__ == "__main__":
    main()
