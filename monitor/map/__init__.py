"""The campus map (预警一张图): an SVG of key sites, cameras and roads, and its web page."""

from monitor.map.page import REFRESH_SECONDS, map_page
from monitor.map.render import (
    CAMERA_STATES,
    SITE_STATUSES,
    UnknownCampusError,
    camera_state_class,
    equirectangular,
    render_campus_map,
    sector_points,
    site_status_class,
)

__all__ = [
    "CAMERA_STATES",
    "REFRESH_SECONDS",
    "SITE_STATUSES",
    "UnknownCampusError",
    "camera_state_class",
    "equirectangular",
    "map_page",
    "render_campus_map",
    "sector_points",
    "site_status_class",
]
