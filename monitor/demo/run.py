"""`tianyan demo`: the virtual campus served on loopback, polled, and exported."""

from __future__ import annotations

import asyncio
import secrets
import sys
from pathlib import Path

import yaml

from monitor.config import load_config
from monitor.demo.campus import PASSWORD_FILE, build_demo_campus
from monitor.polling.poller import CycleOutcome
from monitor.service import MonitorService
from monitor.simulator.faults import load_faults
from monitor.simulator.server import build_simulator
from site_map.coverage import ScopeRates
from site_map.loader import load_site_map

POLL_TIMEOUT_SECONDS = 3.0


def write_demo_files(directory: Path, interval: float, listen: tuple[str, int]) -> Path:
    """Write the site map, faults, password and config; return the config path."""
    directory.mkdir(parents=True, exist_ok=True)
    campus = build_demo_campus()
    password_path = directory / PASSWORD_FILE
    if not password_path.exists():
        password_path.write_text(secrets.token_urlsafe(12) + "\n", encoding="utf-8")
        password_path.chmod(0o600)

    def dump(name: str, data: object) -> None:
        (directory / name).write_text(
            yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )

    dump("site-map.yaml", campus.site_map)
    dump("faults.yaml", campus.faults)
    dump(
        "config.yaml",
        {
            "site_map": "site-map.yaml",
            "listen": f"{listen[0]}:{listen[1]}",
            "poll": {
                "interval_seconds": interval,
                "timeout_seconds": POLL_TIMEOUT_SECONDS,
                "concurrency": 100,
            },
        },
    )
    return directory / "config.yaml"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def summary(rates: ScopeRates, score: float, listen: tuple[str, int], config: Path) -> str:
    base = f"http://{listen[0]}:{listen[1]}"
    return "\n".join(
        [
            "",
            "Tianyan demo — 天眼示范大学, 2 campuses",
            f"  install {_pct(rates.install)}   online {_pct(rates.online)}   "
            f"intact {_pct(rates.intact)}   storage {_pct(rates.storage)}   "
            f"effective {_pct(rates.effective)}   score {score:g}/10",
            f"  metrics     {base}/metrics",
            f"  coverage    {base}/api/coverage",
            f"  cameras     {base}/api/cameras",
            f"  recordings  {base}/api/recordings",
            f"  map         {base}/map   (roads and blind routes: {base}/api/graph)",
            f"  report      tianyan report {config} --from DAY --to DAY --format html "
            "-o report.html",
            f"  table       tianyan coverage {config}",
            f"  files       {config.parent}/ (site-map.yaml, faults.yaml, config.yaml)",
            "",
        ]
    )


async def _demo(directory: Path, listen: tuple[str, int], cycles: int, interval: float) -> int:
    config_path = write_demo_files(directory, interval, listen)
    config = load_config(config_path)
    loaded = load_site_map(config.site_map_path)
    faults = load_faults(directory / "faults.yaml", loaded.site_map)
    simulator = build_simulator(
        loaded.site_map, base_dir=loaded.base_dir, faults=faults, discovery=True
    )
    await simulator.start()
    await simulator.warm_up()
    service = MonitorService.from_config(loaded, config)
    stop = asyncio.Event()
    done = 0
    shown = ""

    def on_cycle(outcome: CycleOutcome) -> None:
        nonlocal done, shown
        done += 1
        report = service.poller.snapshot.coverage
        text = summary(report.school, report.score.value, listen, config_path)
        if text != shown:  # print the numbers when they change, not every cycle
            print(text, flush=True)
            shown = text
        if cycles and done >= cycles:
            stop.set()

    try:
        await service.start_http(*listen)
        print(
            f"simulating {len(loaded.site_map.cameras)} cameras and "
            f"{len(loaded.site_map.nvrs)} NVRs on 127.77.x.x/127.78.x.x; "
            f"serving http://{listen[0]}:{listen[1]}/ — Ctrl-C to stop",
            file=sys.stderr,
        )
        if service.recorders is not None:
            # The first search of 35 days of footage takes seconds: done before the
            # first figures are shown, so the storage rate is there from the start.
            await service.recorders.run_pass()
        await service.run(*listen, stop, on_cycle=on_cycle)
    finally:
        await service.close()
        await simulator.stop()
    return 0


def run_demo(directory: str, listen: tuple[str, int], cycles: int, interval: float) -> int:
    return asyncio.run(_demo(Path(directory), listen, cycles, interval))
