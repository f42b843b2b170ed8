"""Image work off the event loop.

Decoding a snapshot and analysing it take about a millisecond each; at
thousands of cameras that is the largest CPU cost of a cycle. OpenCV
releases the GIL inside its calls, so on a worker thread this work runs on
another core while the event loop keeps the network busy.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

WORKERS = max(1, min(4, (os.cpu_count() or 2) - 1))
_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="tianyan-image")
    return _executor


async def run(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """`function(*args, **kwargs)` on an image worker thread."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool(), lambda: function(*args, **kwargs))
