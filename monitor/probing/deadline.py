"""One deadline per probe, computed once and passed down to every call."""

from __future__ import annotations

import asyncio
import time
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Deadline:
    """An absolute point on the event loop's monotonic clock."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def enforce(self) -> AbstractAsyncContextManager[object]:
        """Cancel whatever runs inside when the deadline passes, even a hung read.

        asyncio's loop clock is time.monotonic on every supported platform, so
        the same absolute value serves both.
        """
        return asyncio.timeout_at(self.at)
