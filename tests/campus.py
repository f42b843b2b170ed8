"""Small hand-drawn campuses for the tests, served on loopback ports that are free."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from monitor.simulator.server import Simulator

PASSWORD = "Tianyan-Secret-4711"  # grep-able: must never leak anywhere
PASSWORD_ENV = "TIANYAN_TEST_CAMERA_PASSWORD"


# Ports handed out in this process: the kernel may hand the same free port to two
# calls in a row (nothing listens on it yet), and two devices on one port collide.
_GIVEN: set[tuple[str, int]] = set()


def free_port(host: str = "127.0.0.1") -> int:
    while True:
        with socket.socket() as s:
            s.bind((host, 0))
            port = int(s.getsockname()[1])
        if (host, port) not in _GIVEN:
            _GIVEN.add((host, port))
            return port


def small_campus(ports: list[int] | None = None) -> dict[str, Any]:
    """Two campuses, six key sites, eight cameras (see test_pipeline for the faults)."""
    ports = ports or [free_port() for _ in range(8)]

    def cam(n: int, site: str, **extra: Any) -> dict[str, Any]:
        return {
            "id": f"cam-{n}",
            "name": f"Camera {n}",
            "sites": [site],
            "onvif": {"host": "127.0.0.1", "port": ports[n - 1]},
            **extra,
        }

    return {
        "school": "Test University",
        "campuses": [{"id": "east", "name": "东校区"}, {"id": "west", "name": "西校区"}],
        "sites": [
            {
                "id": "east-gate",
                "name": "东门",
                "campus": "east",
                "category": "gate",
                "requires": ["face_recognition", "vehicle_checkpoint"],
                "unit": "保卫处",
            },
            {"id": "east-lab", "name": "化学实验室", "campus": "east", "category": "laboratory"},
            {"id": "east-canteen", "name": "一食堂", "campus": "east", "category": "canteen"},
            {
                "id": "west-finance",
                "name": "财务室",
                "campus": "west",
                "category": "finance_office",
                "unit": "财务处",
            },
            {"id": "west-dorm", "name": "宿舍", "campus": "west", "category": "dormitory"},
            {"id": "west-library", "name": "图书馆", "campus": "west", "category": "library"},
        ],
        "cameras": [
            cam(1, "east-gate", roles=["face_recognition"]),
            cam(2, "east-gate", roles=["vehicle_checkpoint"]),
            cam(3, "east-lab"),
            cam(4, "east-canteen"),
            cam(5, "west-finance"),
            cam(6, "west-finance"),
            cam(7, "west-dorm"),
            cam(8, "west-dorm"),
        ],
        "credentials": {"default": {"username": "admin", "password_env": PASSWORD_ENV}},
    }


def write_yaml(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def wait_listening(host: str, port: int, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port}")


@contextlib.contextmanager
def simulator_process(site_map: Path, faults: Path | None, ready: tuple[str, int]):
    """`tianyan simulate` as a separate process, as a user would run it."""
    env = dict(os.environ, **{PASSWORD_ENV: PASSWORD})
    cmd = [sys.executable, "-m", "monitor.cli", "simulate", str(site_map)]
    if faults is not None:
        cmd += ["--faults", str(faults)]
    # Output goes to a file: a pipe nobody reads fills up and blocks the simulator.
    with tempfile.TemporaryFile() as output:
        proc = subprocess.Popen(cmd, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_listening(*ready)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def faulty_cameras(faults: dict[str, object], school: str) -> tuple[dict[str, int], Simulator]:
    """One camera per named fault (None = healthy) on free loopback ports, and its simulator."""
    from monitor.simulator.faults import parse_fault
    from monitor.simulator.server import build_simulator
    from site_map.model import SiteMap

    ports = {name: free_port() for name in faults}
    site_map = SiteMap.model_validate(
        {
            "school": school,
            "campuses": [{"id": "c"}],
            "sites": [{"id": "s", "campus": "c", "category": "library"}],
            "cameras": [
                {"id": name, "sites": ["s"], "onvif": {"host": "127.0.0.1", "port": port}}
                for name, port in ports.items()
            ],
            "credentials": {"default": {"username": "admin", "password_env": PASSWORD_ENV}},
        }
    )
    parsed = {k: parse_fault(v) for k, v in faults.items() if v is not None}
    simulator = build_simulator(
        site_map, base_dir=Path("."), faults=parsed, environ={PASSWORD_ENV: PASSWORD}
    )
    return ports, simulator
