"""One storage pass over N recorded channels, beside a bare-client baseline.

    python bench/recordings_pass.py [--channels 2000] [--kind hikvision|dahua|onvif|mixed]

The simulator runs as its own process (`tianyan simulate`), serving 32-channel
NVRs with 35 days of footage each (files of one hour: 840 per channel). The
monitor's storage pass is timed twice: the first (the whole horizon of 35
days searched for every channel) and a second one right after (incremental:
the new minutes and the oldest hours). The baseline issues the first pass's
Hikvision ISAPI searches with nothing but aiohttp and lxml — the same
CMSearchDescription pages, digest-authenticated, read to the last page — at
the same NVR concurrency, so `first ÷ baseline` is the cost of the
monitor's own machinery for Hikvision NVRs. With `--kind mixed` the
baseline covers the Hikvision third of the NVRs only and no ratio is
printed; with `dahua` or `onvif` there is no baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.logs import setup_logging

setup_logging()

from monitor.config import RecordingSettings  # noqa: E402
from monitor.recordings.poller import RecordingPoller  # noqa: E402
from monitor.safe_xml import safe_parser  # noqa: E402
from monitor.storage.store import Store, default_sqlite_url  # noqa: E402
from site_map.loader import load_site_map  # noqa: E402
from tests.campus import PASSWORD, PASSWORD_ENV, simulator_process, write_yaml  # noqa: E402

CHANNELS_PER_NVR = 32
KINDS = ("hikvision", "dahua", "onvif")
PORT = 8000


def site_map(channels: int, kind: str) -> dict[str, object]:
    nvr_count = -(-channels // CHANNELS_PER_NVR)
    nvrs = [
        {
            "id": f"nvr-{k + 1:03d}",
            "kind": KINDS[k % 3] if kind == "mixed" else kind,
            "host": f"127.62.{k // 250}.{k % 250 + 1}",
            "port": PORT,
            "timezone": "Asia/Shanghai",
        }
        for k in range(nvr_count)
    ]
    cameras = [
        {
            "id": f"cam-{i + 1:05d}",
            "sites": [f"site-{i // 8 + 1:04d}"],
            "onvif": {"host": f"127.61.{i // 250}.{i % 250 + 1}", "port": PORT},
            "nvr": {"id": nvrs[i // CHANNELS_PER_NVR]["id"], "channel": i % CHANNELS_PER_NVR + 1},
        }
        for i in range(channels)
    ]
    sites = [
        {"id": f"site-{n + 1:04d}", "campus": "main", "category": "building_entrance"}
        for n in range(-(-channels // 8))
    ]
    return {
        "school": "Benchmark University",
        "campuses": [{"id": "main"}],
        "sites": sites,
        "cameras": cameras,
        "nvrs": nvrs,
        "credentials": {"default": {"username": "admin", "password_env": PASSWORD_ENV}},
    }


def _wall(seconds: float) -> str:
    # The simulator's NVRs speak Shanghai wall-clock time followed by Z.
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds + 8 * 3600))


async def baseline(data: dict[str, object], concurrency: int) -> tuple[float, int]:
    """The first pass's ISAPI searches with bare aiohttp + lxml; (seconds, files found)."""
    nvrs = [n for n in data["nvrs"] if n["kind"] == "hikvision"]  # type: ignore[attr-defined]
    cameras = data["cameras"]
    assert isinstance(cameras, list)
    now = time.time()
    window = (_wall(now - 35 * 86400), _wall(now))
    limit = asyncio.Semaphore(concurrency)
    found = 0

    async def one_nvr(nvr: dict[str, object]) -> None:
        nonlocal found
        channels = [c["nvr"]["channel"] for c in cameras if c["nvr"]["id"] == nvr["id"]]
        async with (
            limit,
            aiohttp.ClientSession(
                base_url=f"http://{nvr['host']}:{nvr['port']}",
                middlewares=(aiohttp.DigestAuthMiddleware("admin", PASSWORD),),
            ) as http,
        ):
            for channel in channels:
                position, search_id = 0, str(uuid.uuid4())
                while True:
                    body = (
                        '<?xml version="1.0" encoding="UTF-8"?><CMSearchDescription '
                        'xmlns="http://www.hikvision.com/ver20/XMLSchema" version="1.0">'
                        f"<searchID>{search_id}</searchID><trackIDList><trackID>"
                        f"{channel * 100 + 1}</trackID></trackIDList><timeSpanList><timeSpan>"
                        f"<startTime>{window[0]}</startTime><endTime>{window[1]}</endTime>"
                        "</timeSpan></timeSpanList><maxResults>400</maxResults>"
                        f"<searchResultPostion>{position}</searchResultPostion>"
                        "</CMSearchDescription>"
                    ).encode()
                    async with http.post("/ISAPI/ContentMgmt/search", data=body) as r:
                        root = etree.fromstring(await r.read(), safe_parser())
                    items = root.findall("{*}matchList/{*}searchMatchItem")
                    found += len(items)
                    position += len(items)
                    status = root.findtext("{*}responseStatusStrg")
                    if status != "MORE" or not items:
                        break

    started = time.perf_counter()
    await asyncio.gather(*(one_nvr(n) for n in nvrs))
    return time.perf_counter() - started, found


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def monitor_passes(path: Path, database: str, concurrency: int) -> tuple[float, float, int]:
    loaded = load_site_map(path, environ={PASSWORD_ENV: PASSWORD})
    store = Store.open(database)
    poller = RecordingPoller(
        loaded, store, RecordingSettings(concurrency=concurrency, timeout_seconds=1800)
    )
    try:
        started = time.perf_counter()
        first = await poller.run_pass()
        first_seconds = time.perf_counter() - started
        started = time.perf_counter()
        await poller.run_pass()
        second_seconds = time.perf_counter() - started
    finally:
        await poller.close()
        store.close()
    down = [n for n, s in first.nvrs.items() if not s.up]
    assert not down, f"NVRs did not answer: {down[:5]}"
    return first_seconds, second_seconds, len(first.channels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--kind", choices=(*KINDS, "mixed"), default="hikvision")
    parser.add_argument("--concurrency", type=int, default=8, help="NVRs checked at once")
    args = parser.parse_args(argv)
    data = site_map(args.channels, args.kind)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_yaml(Path(tmp) / "site-map.yaml", data)
        os.environ[PASSWORD_ENV] = PASSWORD
        last = data["nvrs"][-1]  # type: ignore[index]
        with simulator_process(path, None, (last["host"], last["port"])):
            base_seconds, files = asyncio.run(baseline(data, args.concurrency))
            rss_before = rss_mib()
            first, second, channels = asyncio.run(
                monitor_passes(path, default_sqlite_url(Path(tmp)), args.concurrency)
            )
    nvrs = len(data["nvrs"])  # type: ignore[arg-type]
    print(f"channels                {channels} on {nvrs} {args.kind} NVRs (35 days each)")
    hik = sum(1 for n in data["nvrs"] if n["kind"] == "hikvision")  # type: ignore[attr-defined]
    print(f"baseline (bare ISAPI)   {base_seconds:7.2f} s   {files} files found on {hik} NVRs")
    print(f"monitor, first pass     {first:7.2f} s   {channels / first:7.1f} channels/s")
    print(f"monitor, next pass      {second:7.2f} s   {channels / second:7.1f} channels/s")
    if args.kind == "hikvision":
        print(f"ratio first/baseline    {first / base_seconds:7.2f}")
    print(f"monitor peak RSS        {rss_mib():7.0f} MiB (before the passes {rss_before:.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
