"""The `tianyan` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from monitor.config import ConfigError, ResolvedConfig, load_config, parse_listen

if TYPE_CHECKING:
    from site_map.loader import LoadedSiteMap

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
Tianyan (校园天眼): coverage and health of a campus's video surveillance.

  tianyan demo                      a virtual campus on loopback, polled and served
  tianyan check site-map.yaml       validate a site map (exit 0, or 2 with every error)
  tianyan import 台账.xlsx -o site-map.yaml   turn a camera ledger (台账) into a site map
  tianyan run config.yaml           the monitoring service (metrics on 127.0.0.1:9847)
  tianyan run config.yaml --once    probe every camera and NVR once, store, exit
  tianyan coverage config.yaml      the rates and score from the stored state
  tianyan availability config.yaml  availability and outages over a period (--period 7d)
  tianyan daily-report config.yaml  send the day's summary (零报告) to the configured channels
  tianyan report config.yaml --from 2026-11-01 --to 2026-11-30   the assessors' period report
  tianyan simulate site-map.yaml    serve a site map's cameras as simulated devices
  tianyan reference accept CAM --config config.yaml   the camera's current view is right
  tianyan probe 10.20.1.11          diagnose one camera, stage by stage
  tianyan diagnose frame.jpg        image faults of one frame (JSON)
  tianyan discover site-map.yaml    find ONVIF devices missing from the site map
"""


def _cmd_check(args: argparse.Namespace) -> int:
    from site_map.check import run_check

    return run_check(args.site_map, sys.stdout, sys.stderr)


def _load(config_path: str, database: str | None) -> tuple[ResolvedConfig, LoadedSiteMap] | None:
    from site_map.loader import SiteMapError, load_site_map

    try:
        config = load_config(config_path, database)
        loaded = load_site_map(config.site_map_path)
    except (ConfigError, SiteMapError) as exc:
        print(f"tianyan: {exc}", file=sys.stderr)
        return None
    from monitor.history.maintenance import validate_against

    problems = validate_against(config.maintenance, loaded.site_map)
    if problems:
        for problem in problems:
            print(f"tianyan: {config.path}: {problem}", file=sys.stderr)
        return None
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return config, loaded


def _cmd_run(args: argparse.Namespace) -> int:
    from monitor.service import MonitorService

    found = _load(args.config, args.database)
    if found is None:
        return EXIT_USAGE
    config, loaded = found
    listen = parse_listen(args.listen) if args.listen else config.listen

    async def main() -> int:
        service = MonitorService.from_config(loaded, config)
        try:
            if args.once:
                outcome = await service.once()
                print(
                    f"probed {outcome.probes} cameras in "
                    f"{outcome.finished_at - outcome.started_at:.1f} s: "
                    f"{outcome.probes - outcome.failed} answered fully, {outcome.failed} failed; "
                    f"stored in {_display_url(config.database_url)}"
                )
                if service.recorders is not None:
                    recordings = service.recorders.snapshot
                    up = sum(1 for s in recordings.nvrs.values() if s.up)
                    print(
                        f"checked {len(recordings.nvrs)} NVRs ({up} answered) and the "
                        f"footage of {len(recordings.channels)} channels"
                    )
                return EXIT_OK
            stop = asyncio.Event()
            host, port = listen
            await service.start_http(host, port)
            print(f"serving http://{host}:{port}/metrics", file=sys.stderr)
            await service.run(host, port, stop)
            return EXIT_OK
        finally:
            await service.close()

    return asyncio.run(main())


def _display_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _cmd_coverage(args: argparse.Namespace) -> int:
    from monitor.polling.snapshot import MonitorSnapshot
    from monitor.recordings.poller import RecordingPoller
    from monitor.storage.store import Store
    from site_map.coverage import coverage_csv, coverage_table, coverage_to_json

    found = _load(args.config, args.database)
    if found is None:
        return EXIT_USAGE
    config, loaded = found
    store = Store.open(config.database_url)
    try:
        # The stored footage, judged now: time since the last search counts as missing.
        recordings = RecordingPoller(loaded, store, config.recordings).snapshot
        snapshot = MonitorSnapshot.build(
            loaded.site_map, store.load_states(), recordings=recordings
        )
    finally:
        store.close()
    report = snapshot.coverage
    if args.format == "json":
        print(json.dumps(coverage_to_json(report), ensure_ascii=False, indent=2))
    elif args.format == "csv":
        sys.stdout.write(coverage_csv(report))
    else:
        print(coverage_table(report, color=sys.stdout.isatty()))
    return EXIT_OK


def _cmd_availability(args: argparse.Namespace) -> int:
    import time

    from monitor.history.periods import parse_period
    from monitor.history.query import HistoryReader
    from monitor.history.report import availability_csv, availability_table
    from monitor.storage.store import Store

    found = _load(args.config, args.database)
    if found is None:
        return EXIT_USAGE
    config, loaded = found
    now = time.time()
    try:
        start, end = parse_period(args.period, now)
    except ValueError as exc:
        print(f"tianyan: --period: {exc}", file=sys.stderr)
        return EXIT_USAGE
    store = Store.open(config.database_url)
    try:
        reader = HistoryReader(
            store,
            loaded.site_map,
            config.maintenance,
            poll_interval=config.poll.interval_seconds,
            inside_monitor=False,
        )
        report = reader.report(start, end, now)
    finally:
        store.close()
    if args.format == "json":
        print(json.dumps(report.to_dict(with_outages=True), ensure_ascii=False, indent=2))
    elif args.format == "csv":
        sys.stdout.write(availability_csv(report))
    else:
        print(availability_table(report, loaded.site_map, cameras=args.cameras))
    return EXIT_OK


def _cmd_daily_report(args: argparse.Namespace) -> int:
    from monitor.daily_report.command import run_daily_report

    found = _load(args.config, args.database)
    if found is None:
        return EXIT_USAGE
    config, loaded = found
    return run_daily_report(
        config, loaded, day_text=args.date, fmt=args.format, dry_run=args.dry_run
    )


def _cmd_report(args: argparse.Namespace) -> int:
    from monitor.reports.command import run_report

    found = _load(args.config, args.database)
    if found is None:
        return EXIT_USAGE
    config, loaded = found
    return run_report(
        config,
        loaded,
        first=args.date_from,
        last=args.date_to,
        fmt=args.format,
        output=args.output,
        campus=args.campus,
        category=args.category,
        unit=args.unit,
    )


def _cmd_reference(args: argparse.Namespace) -> int:
    import os

    from monitor.technician.reference_command import run_reference

    config_path = args.config or os.environ.get("TIANYAN_CONFIG")
    if not config_path:
        print("tianyan: reference needs --config CONFIG (or TIANYAN_CONFIG)", file=sys.stderr)
        return EXIT_USAGE
    found = _load(config_path, args.database)
    if found is None:
        return EXIT_USAGE
    config, loaded = found
    return run_reference(args.action, args.camera, config, loaded)


def _cmd_simulate(args: argparse.Namespace) -> int:
    from monitor.simulator.server import main_simulate

    return main_simulate(args.site_map, args.faults, discovery=args.discovery)


def _cmd_diagnose(args: argparse.Namespace) -> int:
    from monitor.quality.diagnose_command import run_diagnose

    return run_diagnose(
        args.image, reference=args.reference, previous=args.previous, out=sys.stdout, err=sys.stderr
    )


def _cmd_probe(args: argparse.Namespace) -> int:
    from monitor.technician.probe_command import run_probe

    return run_probe(
        args.address,
        user=args.user,
        password_env=args.password_env,
        timeout=args.timeout,
        fmt=args.format,
        out=sys.stdout,
        err=sys.stderr,
    )


def _cmd_discover(args: argparse.Namespace) -> int:
    from monitor.technician.discover_command import run_discover

    return run_discover(
        args.site_map,
        addresses=args.address,
        timeout=args.timeout,
        fmt=args.format,
        out=sys.stdout,
        err=sys.stderr,
    )


def _cmd_import(args: argparse.Namespace) -> int:
    from site_map.ledger import run_import

    return run_import(
        args.ledger,
        args.output,
        sheet=args.sheet,
        mapping=args.mapping,
        campus_ids=args.campus_ids,
        school=args.school,
        stdout=sys.stdout,
        stderr=sys.stderr,
    )


def _cmd_demo(args: argparse.Namespace) -> int:
    from monitor.demo.run import run_demo

    return run_demo(
        directory=args.dir,
        listen=parse_listen(args.listen),
        cycles=args.cycles,
        interval=args.interval,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tianyan", description=DESCRIPTION, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "check",
        help="validate a site map",
        description="Validate a site map (a YAML file or a directory of them). "
        "Prints a summary and exits 0, or prints every problem as "
        "FILE:LINE: message and exits 2.",
    )
    p.add_argument("site_map", metavar="SITE_MAP")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser(
        "run",
        help="run the monitoring service",
        description="Poll every camera of the site map on a cadence, store "
        "state changes, and serve /metrics, /api/coverage and /-/healthy. "
        "CONFIG is a YAML file with site_map:, database:, listen:, poll: "
        "(or a site map itself, with all defaults).",
    )
    p.add_argument("config", metavar="CONFIG")
    p.add_argument(
        "--once", action="store_true", help="probe every camera once, store the results and exit"
    )
    p.add_argument(
        "--database", metavar="URL", help="SQLAlchemy URL (default: tianyan.sqlite beside CONFIG)"
    )
    p.add_argument("--listen", metavar="HOST:PORT", help="override the listen address")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "coverage",
        help="print coverage rates and the score",
        description="Compute install, online, intact, storage and effective "
        "rates and the assessment score from the stored camera states.",
    )
    p.add_argument("config", metavar="CONFIG")
    p.add_argument("--database", metavar="URL")
    p.add_argument("--format", choices=("json", "csv", "table"), default="table")
    p.set_defaults(func=_cmd_coverage)

    p = sub.add_parser(
        "availability",
        help="availability, outages and time to repair over a period",
        description="Availability of every camera, key site, campus and the school over a "
        "period, from the stored history: online seconds / monitored seconds, time the "
        "monitor itself was down (unmonitored), maintenance windows shown apart, outages "
        "with their cause and time to repair.",
    )
    p.add_argument("config", metavar="CONFIG")
    p.add_argument("--database", metavar="URL")
    p.add_argument(
        "--period",
        default="24h",
        help="24h, 7d, 30d (the last that long), 2026-12-05 (a day), 2026-12 (a month), "
        "or START/END (dates or ISO date-times); local time is Asia/Shanghai",
    )
    p.add_argument("--format", choices=("json", "csv", "table"), default="table")
    p.add_argument(
        "--cameras",
        action="store_true",
        help="table: list every camera, not only those with outages",
    )
    p.set_defaults(func=_cmd_availability)

    p = sub.add_parser(
        "daily-report",
        help="the duty room's daily summary (零报告), sent even when nothing happened",
        description="Build a day's report (零报告) from the stored state (nothing is probed): the "
        "rates against their targets and the score, the day's outages (count, total, "
        "longest, MTTR), what is still down now, NVR, disk and channel problems, and the "
        "monitor's own unmonitored time; a day without incident says so (今日无异常). Send "
        "it to every channel under daily_report: in CONFIG (webhook, wecom, dingtalk, "
        "email). Exit 0 when every channel accepted it, 1 when any failed (one line each "
        "on stderr), 2 for a bad config or usage. See docs/daily-report.md.",
    )
    p.add_argument("config", metavar="CONFIG")
    p.add_argument("--database", metavar="URL")
    p.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="the day to report (default: yesterday in daily_report.timezone, Asia/Shanghai)",
    )
    p.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="how --dry-run prints the report (default: text)",
    )
    p.add_argument("--dry-run", action="store_true", help="print the report and send nothing")
    p.set_defaults(func=_cmd_daily_report)

    p = sub.add_parser(
        "report",
        help="the period report for assessors: scorecard, evidence, outages, storage, map",
        description="The assessment over a period of local days (daily_report.timezone, "
        "default Asia/Shanghai), from the stored state: the scorecard (install, time-weighted "
        "intact, storage, gate capabilities) and the score, rates per campus, category and "
        "unit with their numerators and denominators, non-compliant sites, per-camera "
        "availability and intact time, the outage log and MTTR, storage and retention per "
        "channel, a daily trend, the campus map and the road-graph findings. JSON and HTML "
        "go to stdout unless -o is given; xlsx, csv (a ZIP of one CSV per section) and pdf "
        "(printed by headless Chromium) to -o PATH or tianyan-report-FROM-TO.EXT. Exit 0, "
        "1 when the store or Chromium failed, 2 for bad dates or filters. See docs/report.md.",
    )
    p.add_argument("config", metavar="CONFIG")
    p.add_argument("--database", metavar="URL")
    p.add_argument(
        "--from",
        dest="date_from",
        required=True,
        metavar="YYYY-MM-DD",
        help="the first day of the period",
    )
    p.add_argument(
        "--to",
        dest="date_to",
        required=True,
        metavar="YYYY-MM-DD",
        help="the last day of the period (included)",
    )
    p.add_argument("--format", choices=("html", "xlsx", "csv", "json", "pdf"), default="html")
    p.add_argument("-o", "--output", metavar="PATH", help="the file to write ('-': stdout)")
    p.add_argument("--campus", metavar="ID", help="only the key sites of this campus")
    p.add_argument("--category", metavar="ID", help="only the key sites of this category")
    p.add_argument("--unit", metavar="NAME", help="only the key sites of this responsible unit")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "reference",
        help="accept, show or clear a camera's reference view (for the shifted check)",
        description="A camera's reference view is what each frame is compared with to find a "
        "camera knocked or turned away ('shifted'). The first clean frame becomes it; after an "
        "intended change, 'accept' probes the camera now and makes its current view the "
        "reference; 'clear' lets the next clean frame become it. A running monitor picks the "
        "change up at the end of its next cycle.",
    )
    p.add_argument("action", choices=("accept", "show", "clear"))
    p.add_argument("camera", metavar="CAMERA")
    p.add_argument("--config", metavar="CONFIG", help="the monitor's config (or TIANYAN_CONFIG)")
    p.add_argument("--database", metavar="URL")
    p.set_defaults(func=_cmd_reference)

    p = sub.add_parser(
        "simulate",
        help="serve a site map's cameras as simulated ONVIF devices",
        description="Serve every camera of SITE_MAP on its configured host:port "
        "(loopback 127.0.0.0/8 only) as an ONVIF device, with optional faults "
        "({device-id: fault}) from FAULTS.",
    )
    p.add_argument("site_map", metavar="SITE_MAP")
    p.add_argument("--faults", metavar="FAULTS")
    p.add_argument(
        "--discovery",
        action="store_true",
        help="also answer WS-Discovery probes (UDP 3702 on every camera host)",
    )
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser(
        "diagnose",
        help="image faults of one frame (video quality diagnosis)",
        description="Judge one camera frame for the image faults (signal_loss, black, frozen, "
        "blur, occluded, color_cast, dark, bright, noise, shifted) and print JSON "
        '{"faults": [...], "measures": {...}, ...}. frozen needs --previous (a frame taken '
        "at least a poll interval earlier), shifted needs --reference (the camera's usual "
        "view). Exit 0 whenever the image could be analysed, 2 when a file cannot be read. "
        "See docs/quality.md.",
    )
    p.add_argument("image", metavar="IMAGE", help="the frame (JPEG, PNG, ...)")
    p.add_argument("--reference", metavar="IMAGE", help="the camera's reference view")
    p.add_argument("--previous", metavar="IMAGE", help="an earlier frame of the camera")
    p.set_defaults(func=_cmd_diagnose)

    p = sub.add_parser(
        "probe",
        help="diagnose one camera, stage by stage",
        description="Probe one ONVIF device (tcp, onvif, video) as the monitor does, and "
        "print each stage, the device's identity, its clock offset and what to do about a "
        "failure. Exit 0 when every stage passed, 1 otherwise. See docs/technician.md.",
    )
    p.add_argument("address", metavar="HOST[:PORT]", help="the device (port default 80)")
    p.add_argument("--user", default="admin", help="ONVIF user name (default: admin)")
    p.add_argument(
        "--password-env",
        default="TIANYAN_CAMERA_PASSWORD",
        metavar="VAR",
        help="environment variable holding the password (default: TIANYAN_CAMERA_PASSWORD)",
    )
    p.add_argument("--timeout", type=float, default=10.0, help="deadline in seconds (10)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=_cmd_probe)

    p = sub.add_parser(
        "discover",
        help="find ONVIF devices missing from the site map",
        description="Send WS-Discovery probes (multicast on this network segment, or "
        "directed to each --address) and list the devices not in SITE_MAP and the "
        "site-map cameras that did not answer. Exit 0 when both lists are empty, 1 "
        "otherwise. See docs/technician.md.",
    )
    p.add_argument("site_map", metavar="SITE_MAP")
    p.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for answers (3)")
    p.add_argument(
        "--address",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="probe this address directly (port default 3702); repeatable; "
        "without it: multicast to 239.255.255.250:3702",
    )
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=_cmd_discover)

    p = sub.add_parser(
        "import",
        help="turn a camera ledger (台账, .xlsx or .csv) into a site map",
        description="Read a camera ledger (one row per camera; Chinese or English headers, "
        "found in the first 10 rows) and write the site map: campuses, key sites, cameras, "
        "NVRs. Every bad row is reported as LEDGER:ROW: message and nothing is written "
        "(exit 2); exit 0 when written, warnings on stderr. A password column is ignored: "
        "the site map reads passwords from TIANYAN_CAMERA_PASSWORD. See docs/ledger.md.",
    )
    p.add_argument("ledger", metavar="LEDGER", help="the ledger, .xlsx or .csv")
    p.add_argument(
        "-o", "--output", required=True, metavar="SITE_MAP", help="where to write (- for stdout)"
    )
    p.add_argument("--sheet", metavar="NAME", help=".xlsx: the sheet to read (default: the first)")
    p.add_argument(
        "--mapping", metavar="FILE", help="YAML {their header: our field} for other headers"
    )
    p.add_argument(
        "--campus-ids",
        metavar="NAME=ID,...",
        help='ids for the campus names of the ledger, e.g. "北校区=north,南校区=south"',
    )
    p.add_argument("--school", metavar="NAME", help="the school's name (default: the file name)")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser(
        "demo",
        help="a virtual campus on loopback, polled and served",
        description="Generate a virtual campus (two campuses, every key-site "
        "category, simulated cameras with a few faults), poll it and serve "
        "metrics and the API. Prints where to look.",
    )
    p.add_argument("--dir", default="demo-data", help="where the demo's files go")
    p.add_argument("--listen", default="127.0.0.1:9847", metavar="HOST:PORT")
    p.add_argument(
        "--cycles",
        type=int,
        default=0,
        help="stop after this many poll cycles (default: run until Ctrl-C)",
    )
    p.add_argument("--interval", type=float, default=15.0, help="seconds between cycles")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from monitor.logs import setup_logging

    # Before any command imports its libraries: some log (or configure
    # logging) when imported.
    setup_logging(args.verbose)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
