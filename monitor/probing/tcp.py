"""Stage `tcp`: does anything accept a connection on the device's ONVIF port?"""

from __future__ import annotations

import asyncio
import contextlib

from monitor.probing.deadline import Deadline
from monitor.probing.errors import StageFailure
from monitor.probing.result import Reason
from monitor.probing.target import DeviceSession, ProbeWork


async def probe(session: DeviceSession, work: ProbeWork, deadline: Deadline) -> None:
    target = session.target
    try:
        async with deadline.enforce():
            _, writer = await asyncio.open_connection(target.host, target.port)
    except ConnectionRefusedError:
        raise StageFailure(Reason.UNREACHABLE, f"connection refused by {target.address}") from None
    except OSError as exc:
        raise StageFailure(
            Reason.UNREACHABLE, f"cannot connect to {target.address}: {exc.strerror or exc}"
        ) from None
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):
        async with asyncio.timeout(min(1.0, deadline.remaining())):
            await writer.wait_closed()
