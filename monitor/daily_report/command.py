"""`tianyan daily-report CONFIG`: build the day's report from the store and send it.

Nothing is probed: the report reads the stored camera states, transitions,
monitor runs, footage and the last storage pass's NVR and disk findings
(or, when `daily_report.monitor_url` is set, the running monitor's fresher
`/api/recordings`). Exit status: 0 when every channel accepted the
report (or with `--dry-run`), 1 when any channel failed or the store could
not be read, 2 for a bad config or usage.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Mapping
from datetime import date
from typing import Any, TextIO
from urllib.parse import urljoin

import aiohttp

from monitor.config import ResolvedConfig
from monitor.daily_report.channels import (
    ChannelConfigError,
    Message,
    build_senders,
    host_of,
    send_all,
)
from monitor.daily_report.render import (
    markdown_within,
    render_json,
    render_markdown,
    render_text,
)
from monitor.daily_report.summary import (
    DailyReport,
    LiveNvr,
    StorageInputs,
    build_daily_report,
    day_bounds,
    yesterday,
)
from monitor.recordings.snapshot import RecordingSnapshot
from site_map.loader import LoadedSiteMap

log = logging.getLogger("tianyan.daily_report")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
FORMATS = ("text", "markdown", "json")
# The clock, a module attribute so tests can set the moment the report is built.
clock = time.time


def parse_day(text: str | None, now: float, timezone: str) -> date:
    """`--date YYYY-MM-DD`, or yesterday in the report's time zone."""
    if text is None:
        return yesterday(now, timezone)
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not a date: write YYYY-MM-DD") from None


def live_nvrs(data: Any) -> dict[str, LiveNvr]:
    """NVR health from the monitor's `/api/recordings` JSON (defensive: it is another process)."""
    found: dict[str, LiveNvr] = {}
    entries = data.get("nvrs", []) if isinstance(data, dict) else []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        checked = bool(entry.get("checked"))
        disks = tuple(
            (str(d.get("name") or d.get("id") or "?"), str(d.get("status") or "unknown"))
            for d in entry.get("disks") or []
            if isinstance(d, dict)
        )
        found[entry["id"]] = LiveNvr(
            nvr=entry["id"],
            up=bool(entry.get("up")) if checked else None,
            reason=entry.get("reason") if isinstance(entry.get("reason"), str) else None,
            detail=entry.get("detail") if isinstance(entry.get("detail"), str) else None,
            checked_at=entry.get("checked_at")
            if isinstance(entry.get("checked_at"), int | float)
            else None,
            disks=disks,
        )
    return found


def stored_nvrs(recordings: RecordingSnapshot) -> dict[str, LiveNvr]:
    """NVR health as the last storage pass stored it (table nvr_status)."""
    return {
        nvr_id: LiveNvr(
            nvr=nvr_id,
            up=status.up,
            reason=status.reason,
            detail=status.detail or None,
            checked_at=status.checked_at,
            disks=tuple((d.name or d.id, d.status) for d in status.disks),
        )
        for nvr_id, status in recordings.nvrs.items()
    }


async def fetch_live(monitor_url: str, timeout: float) -> tuple[dict[str, LiveNvr] | None, str]:
    """The running monitor's NVR picture, or None and why not."""
    url = urljoin(monitor_url.rstrip("/") + "/", "api/recordings")
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.get(url, allow_redirects=False) as response,
        ):
            if response.status != 200:
                return None, f"HTTP {response.status}"
            data = json.loads(await response.content.read(16 * 1024 * 1024))
    except TimeoutError:
        return None, "no answer before the deadline"
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        return None, type(exc).__name__
    return live_nvrs(data), ""


def gather(
    config: ResolvedConfig,
    loaded: LoadedSiteMap,
    day: date,
    now: float,
    live: Mapping[str, LiveNvr] | None,
    live_error: str | None,
) -> DailyReport:
    """Read the store (and only read it) and build the day's report."""
    from monitor.history.availability import settle_runs
    from monitor.history.query import HistoryReader
    from monitor.polling.snapshot import MonitorSnapshot
    from monitor.recordings.poller import RecordingPoller
    from monitor.storage.store import Store

    settings = config.daily_report
    site_map = loaded.site_map
    start, end = day_bounds(day, settings.timezone)
    # The day is measured up to its end (or now, for today): a past day's
    # figures do not change with the day the report is built on.
    day_now = max(start, min(end, now))
    store = Store.open(config.database_url)
    try:
        states = store.load_states()
        # The stored footage, judged now (as `tianyan coverage` does).
        poller = RecordingPoller(loaded, store, config.recordings, clock=lambda: now)
        recordings = poller.snapshot
        snapshot = MonitorSnapshot.build(site_map, states, recordings=recordings)
        if live is None and live_error is None:
            # No running monitor asked: the last storage pass's findings, as stored.
            live = stored_nvrs(recordings)
        reader = HistoryReader(
            store,
            site_map,
            config.maintenance,
            poll_interval=config.poll.interval_seconds,
            inside_monitor=False,
        )
        # No transition at all up to the day's end (a fresh database, a day before
        # the first probe): nothing was monitored, so no availability figures
        # rather than figures over nothing.
        availability = (
            reader.report(start, end, day_now) if store.transitions_for_period(start, end) else None
        )
        # The same settling of a dead monitor's open run as the reader applies.
        last = store.last_cycle()
        runs = settle_runs(
            store.monitor_runs(since=start, until=end),
            last_cycle_at=last.finished_at if last else None,
            now=day_now,
            grace=3 * config.poll.interval_seconds,
        )
        storage = StorageInputs(
            records=dict(poller.records),
            channels=dict(recordings.channels),
            zones=dict(poller.zones),
            interval_seconds=config.recordings.interval_seconds,
            timeout_seconds=config.recordings.timeout_seconds,
            enabled=config.recordings.enabled,
            live=live,
            live_error=live_error,
        )
    finally:
        store.close()
    notes: list[str] = []
    return build_daily_report(
        site_map,
        day=day,
        timezone=settings.timezone,
        now=now,
        coverage=snapshot.coverage,
        states=snapshot.states,
        availability=availability,
        runs=runs,
        storage=storage,
        causes=snapshot.causes.cause,
        poll_interval=config.poll.interval_seconds,
        title=settings.title,
        notes=notes,
    )


def render(report: DailyReport, fmt: str, max_items: int) -> str:
    if fmt == "json":
        return render_json(report) + "\n"
    if fmt == "markdown":
        return render_markdown(report, max_items)
    return render_text(report, max_items)


def run_daily_report(
    config: ResolvedConfig,
    loaded: LoadedSiteMap,
    *,
    day_text: str | None = None,
    fmt: str = "text",
    dry_run: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    from monitor.storage.store import StorageError

    # Resolved now, not at import: the streams may have been replaced since.
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err

    settings = config.daily_report
    now = clock()
    try:
        day = parse_day(day_text, now, settings.timezone)
    except ValueError as exc:
        print(f"tianyan: --date: {exc}", file=err)
        return EXIT_USAGE
    senders = []
    if not dry_run:
        try:
            senders = build_senders(
                settings.channels,
                os.environ if environ is None else environ,
                timeout=settings.timeout_seconds,
            )
        except ChannelConfigError as exc:
            print(f"tianyan: {config.path}: {exc}", file=err)
            return EXIT_USAGE

    live: dict[str, LiveNvr] | None = None
    live_error: str | None = None
    if settings.monitor_url is not None:
        live, why = asyncio.run(fetch_live(settings.monitor_url, settings.timeout_seconds))
        if live is None:
            live_error = (
                f"录像机实时状态不可用 live NVR health unavailable: monitor at "
                f"{host_of(settings.monitor_url)}: {why}"
            )
            log.warning(
                "live NVR health unavailable host=%s error=%s", host_of(settings.monitor_url), why
            )
    try:
        report = gather(config, loaded, day, now, live, live_error)
    except StorageError as exc:
        print(f"tianyan: {exc}", file=err)
        return EXIT_FAILED

    if dry_run or not senders:
        out.write(render(report, fmt, settings.max_items))
        if not dry_run:
            print(
                "tianyan: daily-report: no channels under daily_report.channels; printed only",
                file=err,
            )
        return EXIT_OK

    message = Message(
        title=f"{report.title} {report.day.isoformat()}",
        day=report.day.isoformat(),
        text=render_text(report, settings.max_items),
        markdown=render_markdown(report, settings.max_items),
        report=report.to_dict(),
        fit_markdown=lambda limit: markdown_within(report, limit, settings.max_items),
    )
    outcomes = asyncio.run(send_all(senders, message, timeout=settings.timeout_seconds))
    for outcome in outcomes:
        if outcome.ok:
            print(
                f"sent {message.day} to {outcome.channel} ({outcome.kind}, {outcome.host})",
                file=out,
            )
        else:
            print(
                f"tianyan: daily-report: {outcome.channel} ({outcome.kind}, {outcome.host}): "
                f"{outcome.error}",
                file=err,
            )
    return EXIT_OK if all(o.ok for o in outcomes) else EXIT_FAILED
