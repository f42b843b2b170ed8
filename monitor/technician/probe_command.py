"""``tianyan probe HOST[:PORT]``: one layered diagnosis of one camera, for a technician.

The same probe the monitor runs every cycle (`monitor.probing.camera`),
once, with every stage's outcome, the device's identity, its clock offset and
what to do about a failure. Exit status 0 when every stage passed, 1
otherwise, 2 for a usage error.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from typing import Any, TextIO

from monitor.probing.result import ProbeResult
from monitor.technician import parse_host_port
from monitor.technician.hints import clock_warning, format_offset, hint_for, no_password

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_PORT = 80
DEFAULT_USER = "admin"
DEFAULT_PASSWORD_ENV = "TIANYAN_CAMERA_PASSWORD"
DEFAULT_TIMEOUT = 10.0


async def _probe(host: str, port: int, user: str, password: str, timeout: float) -> ProbeResult:
    from monitor.probing.camera import probe_camera
    from monitor.probing.registry import prepare_probers
    from monitor.probing.target import DeviceSession, Target

    await prepare_probers()  # parses the WSDLs: not part of the device's deadline
    session = DeviceSession(Target(f"{host}:{port}", host, port, user, password))
    try:
        return await probe_camera(session, timeout)
    finally:
        await session.reset()


def _stage_names() -> list[str]:
    from monitor.probing.registry import CAMERA_STAGES

    return [stage.value for stage, _ in CAMERA_STAGES]


def report(
    result: ProbeResult,
    *,
    host: str,
    port: int,
    username: str,
    password_env: str,
    password_set: bool,
    stage_names: list[str],
) -> dict[str, Any]:
    """The JSON document of ``tianyan probe --format json``."""
    ran = [s.stage.value for s in result.stages]
    failure = result.failure
    device = result.device
    offset = result.clock_offset_seconds
    warning = clock_warning(offset)
    notes = [] if password_set else [no_password(password_env).to_dict()]
    hint: dict[str, str] | None = None
    if failure is not None and failure.reason is not None:
        hint = {"reason": failure.reason.value, **hint_for(failure.reason).to_dict()}
    return {
        "host": host,
        "port": port,
        "username": username,
        "ok": result.ok,
        "stages": [s.to_dict() for s in result.stages],
        "stages_not_run": [name for name in stage_names if name not in ran],
        "failed_stage": failure.stage.value if failure is not None else None,
        "hint": hint,
        "device": {
            "manufacturer": device.manufacturer if device else None,
            "model": device.model if device else None,
            "firmware": device.firmware if device else None,
            "serial": device.serial if device else None,
        },
        "clock_offset_seconds": round(offset, 3) if offset is not None else None,
        "clock_warning": warning.to_dict() if warning else None,
        "image_faults": list(result.image_faults),
        "notes": notes,
        "seconds": round(result.seconds, 6),
    }


def _hint_lines(hint: Mapping[str, str], indent: str = "  ") -> list[str]:
    return [f"{indent}{hint['zh']}", f"{indent}{hint['en']}"]


def render_table(doc: Mapping[str, Any]) -> str:
    """The human-readable form: one row per stage, identity, clock, what to do."""
    host = doc["host"]
    shown_host = f"[{host}]" if ":" in host else host
    lines = [f"probe of {shown_host}:{doc['port']} as user {doc['username']}", ""]
    for note in doc["notes"]:
        lines += ["note:", *_hint_lines(note), ""]
    rows = [("stage", "result", "seconds", "reason", "detail")]
    for stage in doc["stages"]:
        rows.append(
            (
                stage["stage"],
                "✓ pass" if stage["ok"] else "✗ FAIL",
                f"{stage['seconds']:.3f}",
                stage["reason"] or "",
                stage["detail"] or "",
            )
        )
    rows += [(name, "– not run", "", "", "") for name in doc["stages_not_run"]]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [
            row[0].ljust(widths[0]),
            row[1].ljust(widths[1]),
            row[2].rjust(widths[2]),
            row[3].ljust(widths[3]),
            row[4],
        ]
        lines.append(("  " + "  ".join(cells)).rstrip())
    lines.append("")
    device = doc["device"]
    if device["manufacturer"] is None:
        lines.append("device        unknown (the ONVIF stage did not pass)")
    else:
        lines.append(
            f"device        {device['manufacturer']} {device['model']}, "
            f"firmware {device['firmware']}, serial {device['serial']}"
        )
    offset = doc["clock_offset_seconds"]
    lines.append(
        "clock offset  " + (format_offset(offset) if offset is not None else "not measured")
    )
    if doc["clock_warning"]:
        lines += ["⚠ clock:", *_hint_lines(doc["clock_warning"])]
    if doc["image_faults"]:
        lines.append("image faults  " + ", ".join(doc["image_faults"]))
    lines.append("")
    if doc["ok"]:
        lines.append("OK: every stage passed")
    else:
        hint = doc["hint"]
        reason = hint["reason"] if hint else "unknown"
        lines += [f"FAILED at stage {doc['failed_stage']}: {reason}", "what to do / 处理建议:"]
        if hint:
            lines += _hint_lines(hint)
    return "\n".join(lines)


def run_probe(
    address: str,
    *,
    user: str = DEFAULT_USER,
    password_env: str = DEFAULT_PASSWORD_ENV,
    timeout: float = DEFAULT_TIMEOUT,
    fmt: str = "table",
    out: TextIO,
    err: TextIO,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Probe one device and print the diagnosis; return the exit status."""
    try:
        host, port = parse_host_port(address, DEFAULT_PORT)
    except ValueError as exc:
        print(f"tianyan probe: {exc}", file=err)
        return EXIT_USAGE
    if not timeout > 0:
        print("tianyan probe: --timeout must be more than 0 seconds", file=err)
        return EXIT_USAGE
    env = os.environ if environ is None else environ
    password = env.get(password_env) or ""
    result = asyncio.run(_probe(host, port, user, password, timeout))
    doc = report(
        result,
        host=host,
        port=port,
        username=user,
        password_env=password_env,
        password_set=bool(password),
        stage_names=_stage_names(),
    )
    text = json.dumps(doc, ensure_ascii=False, indent=2) if fmt == "json" else render_table(doc)
    if password:  # the probe's details are redacted already; this is the last line of defence
        text = text.replace(password, "***")
    print(text, file=out)
    return EXIT_OK if result.ok else EXIT_FAILED
