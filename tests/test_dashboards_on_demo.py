"""Every dashboard query against a real Prometheus that has scraped `tianyan demo`.

tests/test_dashboards.py runs them against a small campus built to fill every
panel; this runs the same expressions against the virtual campus an operator
first sees, as a separate process on loopback: every expression must parse,
and return data unless the demo has nothing of that kind (listed below with
the reason).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import IO

import pytest

from tests import stack
from tests.campus import free_port
from tests.test_dashboards import (
    committed,
    extract_queries,
    instant,
    prometheus_config,
    substitute,
    wait_for_scrapes,
)

# Panels the demo leaves empty, with why (dashboard uid, panel title, ref).
FLAPPING = "频繁变化的摄像机 Flapping cameras (last hour)"
LAT_LON = "点位地图 Sites by latitude/longitude"
CAMERAS = ("north-cam-0001", "north-cam-0030")  # healthy; blurred picture
EMPTY_ON_THE_DEMO: dict[tuple[str, str, str], str] = {
    ("tianyan-availability", FLAPPING, "A"): "no demo camera goes up and down",
    ("tianyan-availability", FLAPPING, "B"): "no demo camera goes up and down",
    ("tianyan-campus-map", LAT_LON, "A"): "the demo's sites are located in metres (x/y)",
    ("tianyan-campus-map", LAT_LON, "B"): "the demo's sites are located in metres (x/y)",
}


def _wait_for_demo(
    base: str, demo: subprocess.Popen[bytes], output: IO[bytes], timeout: float = 180.0
) -> None:
    """Until the demo has run a camera cycle and a storage pass; its output on failure."""

    def log() -> str:
        output.seek(0)
        return output.read().decode(errors="replace")[-3000:]

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if demo.poll() is not None:
            raise RuntimeError(f"the demo exited ({demo.returncode}):\n{log()}")
        try:
            with urllib.request.urlopen(f"{base}/api/recordings", timeout=2) as r:
                recordings = json.loads(r.read())
            with urllib.request.urlopen(f"{base}/api/cameras", timeout=2) as r:
                cameras = json.loads(r.read())["cameras"]
        except OSError:
            time.sleep(0.5)
            continue
        if recordings["finished_at"] and all(c["last_probe"] for c in cameras):
            return
        time.sleep(0.5)
    raise TimeoutError(f"the demo did not finish a cycle and a storage pass:\n{log()}")


@pytest.mark.slow
async def test_every_panel_query_on_the_demo(tmp_path: Path) -> None:
    stack.require("prometheus")
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "monitor.cli",
        "demo",
        "--dir",
        str(tmp_path / "demo"),
        "--listen",
        f"127.0.0.1:{port}",
        "--interval",
        "3",
    ]
    with tempfile.TemporaryFile() as output:
        demo = subprocess.Popen(cmd, stdout=output, stderr=subprocess.STDOUT)
        try:
            await asyncio.to_thread(_wait_for_demo, f"http://127.0.0.1:{port}", demo, output)
            with stack.prometheus(prometheus_config(port)) as server:
                await asyncio.to_thread(wait_for_scrapes, server, 4)
                values = {
                    "campus": "(north|south)",
                    "site": "north-building-entrance-5",
                    "nvr": "("
                    + "|".join(f"nvr-{c}-{n}" for c in ("north", "south") for n in range(1, 6))
                    + ")",
                    "category": ".*",
                    "window": "7d",
                    "__rate_interval": "1m",
                    "__range": "5m",
                    "__interval": "15s",
                }
                problems, empty, checked = [], [], 0
                for name, dashboard in committed().items():
                    for query in extract_queries(dashboard):
                        # A camera panel has data for some camera of the demo: a healthy
                        # one (reference view) or a failing one (its failure and cause).
                        for camera in CAMERAS:
                            expr = substitute(query.expr, {**values, "camera": camera})
                            answer = await asyncio.to_thread(instant, server, expr)
                            if answer.get("status") != "success" or answer["data"]["result"]:
                                break
                        checked += 1
                        where = f"{name} / {query.panel} / {query.ref}"
                        if answer.get("status") != "success":
                            problems.append(f"{where}: {answer.get('error')}\n    {expr}")
                        elif not answer["data"]["result"] and query.key not in EMPTY_ON_THE_DEMO:
                            empty.append(f"{where}\n    {expr}")
                assert checked > 100
                assert not problems, "\n".join(problems)
                assert not empty, "no data on the demo:\n" + "\n".join(empty)
        finally:
            demo.terminate()
            try:
                demo.wait(timeout=20)
            except subprocess.TimeoutExpired:
                demo.kill()
            output.seek(0)
            log = output.read().decode(errors="replace")
    assert "Traceback" not in log, log[-3000:]
