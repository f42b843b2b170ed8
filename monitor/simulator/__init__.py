"""ONVIF device simulator: every camera of a site map served on loopback, with faults.

See docs/simulator.md. The public API:

- `build_simulator(site_map, base_dir=..., faults=...)` -> `Simulator`
  (`start`, `stop`, `set_fault`, `devices`);
- `load_faults(path, site_map)` and `parse_fault(value)` -> `Fault`;
- `main_simulate(site_map_path, faults_path)` for ``tianyan simulate``.
"""

from monitor.simulator.device import SimulatedDevice
from monitor.simulator.faults import HEALTHY, Fault, FaultError, load_faults, parse_fault
from monitor.simulator.server import (
    Simulator,
    SimulatorRefused,
    SimulatorStartError,
    build_simulator,
    main_simulate,
)

__all__ = [
    "HEALTHY",
    "Fault",
    "FaultError",
    "SimulatedDevice",
    "Simulator",
    "SimulatorRefused",
    "SimulatorStartError",
    "build_simulator",
    "load_faults",
    "main_simulate",
    "parse_fault",
]
