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
import resource
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.logs import setup_logging

setup_logging()  # before the imports below, some of which log when imported

from monitor.config import PollSettings  # noqa: E402
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
            async with http.get(f"{base}/onvif/snapshot/Profile_1.jpg", middlewares=(digest,)) as r:
                assert r.status == 200, r.status
                await r.read()

        async def worker() -> None:
            while queue:
                await one(queue.pop())

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - began


async def monitor_cycles(site_map_path: Path, db: str, concurrency: int) -> tuple[float, float]:
    loaded = load_site_map(site_map_path)
    store = Store.open(db)
    poller = Poller(loaded, store, PollSettings(timeout_seconds=30, concurrency=concurrency))
    try:
        cold = await poller.run_cycle()
        warm = await poller.run_cycle()
        assert warm.failed == 0, f"{warm.failed} probes failed"
        return cold.finished_at - cold.started_at, warm.finished_at - warm.started_at
    finally:
        await poller.close()
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cameras", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=200)
    args = parser.parse_args()
    raise_open_file_limit()
    os.environ[PASSWORD_ENV] = PASSWORD
    with tempfile.TemporaryDirectory() as tmp:
        data = bench_site_map(args.cameras)
        path = write_yaml(Path(tmp) / "site-map.yaml", data)
        last = data["cameras"][-1]["onvif"]
        with simulator_process(path, None, (last["host"], last["port"])):
            hosts = [c["onvif"]["host"] for c in data["cameras"]]
            base = asyncio.run(baseline(hosts, args.concurrency))
            cold, warm = asyncio.run(
                monitor_cycles(path, f"sqlite:///{tmp}/bench.sqlite", args.concurrency)
            )
    n = args.cameras
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"cameras                 {n}")
    print(f"baseline (bare aiohttp) {base:7.2f} s  {n / base:8.1f} cameras/s")
    print(f"monitor, first cycle    {cold:7.2f} s  {n / cold:8.1f} cameras/s")
    print(f"monitor, steady cycle   {warm:7.2f} s  {n / warm:8.1f} cameras/s")
    print(f"ratio steady/baseline   {base / warm:7.2f}")
    print(f"monitor peak RSS        {rss_mib:7.0f} MiB")


if __name__ == "__main__":
    main()
