"""History of the cameras' states: outages, availability and maintenance windows.

Pure functions over what the store keeps (transitions and monitor runs) and
the `maintenance:` list of the config file; see docs/availability.md.
"""

from monitor.history.availability import (
    WINDOWS,
    Availability,
    AvailabilityReport,
    Outage,
    availability_report,
    camera_availability,
    camera_outages,
    camera_timeline,
    group_by_camera,
    monitored_intervals,
    mttr,
    scope_availability,
    settle_runs,
)
from monitor.history.maintenance import (
    MaintenanceError,
    MaintenanceWindow,
    cameras_in_window,
    expand,
    parse_maintenance,
    validate_against,
)
from monitor.history.periods import last, parse_period

__all__ = [
    "WINDOWS",
    "Availability",
    "AvailabilityReport",
    "MaintenanceError",
    "MaintenanceWindow",
    "Outage",
    "availability_report",
    "camera_availability",
    "camera_outages",
    "camera_timeline",
    "cameras_in_window",
    "expand",
    "group_by_camera",
    "last",
    "monitored_intervals",
    "mttr",
    "parse_maintenance",
    "parse_period",
    "scope_availability",
    "settle_runs",
    "validate_against",
]
