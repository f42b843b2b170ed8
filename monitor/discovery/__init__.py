"""Finding ONVIF devices on the network with WS-Discovery (see `wsdiscovery`)."""

from monitor.discovery.wsdiscovery import (
    DISCOVERY_PORT,
    MULTICAST_ADDRESS,
    Advert,
    DiscoveryResult,
    Probe,
    ProbeMatch,
    discover,
    parse_probe,
    parse_probe_matches,
    probe_matches_message,
    probe_message,
)

__all__ = [
    "DISCOVERY_PORT",
    "MULTICAST_ADDRESS",
    "Advert",
    "DiscoveryResult",
    "Probe",
    "ProbeMatch",
    "discover",
    "parse_probe",
    "parse_probe_matches",
    "probe_matches_message",
    "probe_message",
]
