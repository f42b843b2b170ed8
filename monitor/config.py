"""The monitor's own configuration file (`tianyan run CONFIG`).

```yaml
site_map: campus/              # a file or a directory, relative to this file
database: postgresql+psycopg://tianyan@db/tianyan   # default: tianyan.sqlite beside this file
listen: 127.0.0.1:9847
maintenance:                   # reported separately in availability (docs/availability.md)
  - {name: 每周巡检, campus: north, every: weekly, weekday: sun, at: "02:00", duration: 2h}
poll:
  interval_seconds: 60
  timeout_seconds: 10
  concurrency: 200
  down_after: 3
  up_after: 2
recordings:                    # NVR storage checks (docs/recordings.md)
  interval_seconds: 900
  timeout_seconds: 300
```
A site-map file given in place of a config is accepted as-is, with defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from monitor.daily_report.settings import DailyReportSettings
from monitor.history.maintenance import MaintenanceError, MaintenanceWindow, parse_maintenance
from monitor.quality.thresholds import QualityConfig

DEFAULT_LISTEN = "127.0.0.1:9847"


class ConfigError(Exception):
    """The config file cannot be used; the message names the file and the field."""


class PollSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    interval_seconds: float = Field(60.0, gt=0)
    timeout_seconds: float = Field(10.0, gt=0, description="deadline of one camera probe")
    concurrency: int = Field(200, ge=1, le=20000)
    down_after: int = Field(3, ge=1, description="consecutive failures before offline")
    up_after: int = Field(2, ge=1, description="consecutive successes before online again")


class RecordingSettings(BaseModel):
    """The slow cycle over the recorders: disks, channels and footage."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    interval_seconds: float = Field(900.0, gt=0, description="one pass over every NVR")
    timeout_seconds: float = Field(
        300.0, gt=0, description="deadline of one NVR's whole pass (all its channels)"
    )
    concurrency: int = Field(8, ge=1, le=1000, description="NVRs checked at once")
    full_check_hours: float = Field(
        24.0, gt=0, description="search the whole window again this often (footage lost later)"
    )
    horizon_extra_days: float = Field(
        5.0, ge=0, description="search this far beyond retention_days, to show retention above it"
    )
    overlap_seconds: float = Field(
        600.0, ge=0, description="incremental searches start this far before the last one ended"
    )


class MonitorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    site_map: str
    database: str | None = None
    listen: str = DEFAULT_LISTEN
    poll: PollSettings = PollSettings()
    # Parsed by monitor.history.maintenance for its own, clearer messages.
    maintenance: list[object] = []
    quality: QualityConfig = Field(default_factory=QualityConfig)
    recordings: RecordingSettings = RecordingSettings()
    # The duty room's daily summary (docs/daily-report.md).
    daily_report: DailyReportSettings = Field(default_factory=DailyReportSettings)

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        parse_listen(value)
        return value


def parse_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"listen address '{value}' is not HOST:PORT")
    return host.strip("[]"), int(port)


@dataclass(frozen=True)
class ResolvedConfig:
    path: Path
    site_map_path: Path
    database_url: str
    listen: tuple[str, int]
    poll: PollSettings
    maintenance: tuple[MaintenanceWindow, ...] = ()
    quality: QualityConfig = field(default_factory=QualityConfig)
    recordings: RecordingSettings = field(default_factory=RecordingSettings)
    daily_report: DailyReportSettings = field(default_factory=DailyReportSettings)


def default_database_url(directory: Path) -> str:
    from monitor.storage.store import default_sqlite_url

    return default_sqlite_url(directory)


def load_config(path: str | Path, database: str | None = None) -> ResolvedConfig:
    """Read CONFIG; a site-map file (no `site_map:` key) is taken as-is with defaults."""
    path = Path(path)
    if path.is_dir():
        data: object = {"site_map": "."}
        directory = path
    else:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        directory = path.parent
        if isinstance(data, dict) and "site_map" not in data and "school" in data:
            data = {"site_map": path.name}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a mapping with a site_map: key")
    try:
        config = MonitorConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None
    try:
        maintenance = parse_maintenance(config.maintenance)
    except MaintenanceError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return ResolvedConfig(
        path=path,
        site_map_path=(directory / config.site_map),
        database_url=database or config.database or default_database_url(directory),
        listen=parse_listen(config.listen),
        poll=config.poll,
        maintenance=maintenance,
        quality=config.quality,
        recordings=config.recordings,
        daily_report=config.daily_report,
    )
