"""Why the simulator refuses or cannot start."""


class SimulatorRefused(ValueError):
    """The site map asks for something the simulator will not do (e.g. a real address)."""


class SimulatorStartError(RuntimeError):
    """The simulator could not start listening (address in use, too few open files...)."""
