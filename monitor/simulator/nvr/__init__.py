"""Simulated recorders (NVRs) of the three kinds the monitor reads.

`recorder` holds what every simulated NVR knows whatever its protocol (its
channels, a recording history of 30+ days, disks, faults); each protocol
module (`onvif`, `hikvision`, `dahua`) serves that state as the real
firmware would; `server` listens on each NVR's loopback host:port.
"""
