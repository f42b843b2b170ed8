"""The one interface every recorder adapter implements, and the HTTP it shares.

An adapter is built from a `RecorderEndpoint` and answers three questions,
each under a deadline computed once by the caller: which disks, which
channels, which recorded segments of a channel over a time range. All of
them talk HTTP through `RecorderHttp`, which

- sends every request to the configured host and port, over plain HTTP,
  and never follows a redirect;
- answers an HTTP Digest challenge with the endpoint's credentials,
  reusing the last challenge (no 401 round trip after the first);
- refuses an answer longer than its cap (4 MiB by default) unread;
- turns every failure into a `RecorderError` with a reason from the
  probes' closed set and a short detail that never carries the password.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import ClassVar, Protocol

import aiohttp

from monitor.probing.deadline import Deadline
from monitor.probing.errors import describe
from monitor.probing.result import Reason
from monitor.probing.transport import mib, read_limited
from monitor.recordings.model import Channel, Disk, RecorderError, Segment

MAX_ANSWER_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class RecorderEndpoint:
    nvr_id: str
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    # The zone of the device's wall clock, for formats without an offset.
    timezone: tzinfo | None = None
    # The device means real UTC by "Z" (some Hikvision firmware; the site map's
    # `utc_times`), instead of its wall clock.
    utc_times: bool = False

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


class Recorder(Protocol):
    """One recorder (NVR) of one kind. Every method raises `RecorderError` on failure."""

    kind: ClassVar[str]

    def __init__(self, endpoint: RecorderEndpoint) -> None: ...

    async def disks(self, deadline: Deadline) -> tuple[Disk, ...]: ...

    async def channels(self, deadline: Deadline) -> tuple[Channel, ...]: ...

    async def segments(
        self, channel: int, start: float, end: float, deadline: Deadline
    ) -> tuple[Segment, ...]:
        """The recorded stretches of `channel` overlapping [start, end), in order, clipped."""
        ...

    async def close(self) -> None: ...


class RecorderHttp:
    """An HTTP session with one recorder (a connection pool and its digest state)."""

    def __init__(
        self,
        endpoint: RecorderEndpoint,
        *,
        max_bytes: int = MAX_ANSWER_BYTES,
        extra_middlewares: Sequence[aiohttp.ClientMiddlewareType] = (),
    ) -> None:
        self.endpoint = endpoint
        self.max_bytes = max_bytes
        self._session: aiohttp.ClientSession | None = None
        self._digest = aiohttp.DigestAuthMiddleware(endpoint.username, endpoint.password)
        # Outside the digest middleware: they see final answers only (a vendor's
        # error document must be read before the status is judged).
        self._middlewares: tuple[aiohttp.ClientMiddlewareType, ...] = (
            *extra_middlewares,
            self._digest,
        )

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                base_url=f"http://{self.endpoint.address}",
                connector=aiohttp.TCPConnector(limit=4),
                middlewares=self._middlewares,
                cookie_jar=aiohttp.CookieJar(unsafe=True),  # Dahua keeps a session cookie
                auto_decompress=True,
            )
        return self._session

    async def request(
        self,
        method: str,
        path: str,
        deadline: Deadline,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        what: str | None = None,
    ) -> bytes:
        """The body of a 2xx answer to `method path`, or a `RecorderError`."""
        what = what or path
        if deadline.expired:
            raise RecorderError(Reason.TIMEOUT, f"{what}: no time left before the deadline")
        headers = {"Content-Type": content_type} if content_type else None
        try:
            async with (
                deadline.enforce(),
                self._http().request(
                    method,
                    path,
                    params=params,
                    data=body,
                    headers=headers,
                    allow_redirects=False,
                    timeout=aiohttp.ClientTimeout(total=deadline.remaining()),
                ) as response,
            ):
                status = response.status
                if status in (401, 403):
                    raise RecorderError(
                        Reason.AUTH_FAILED,
                        f"{what}: credentials refused (HTTP {status})",
                        http_status=status,
                    )
                if 300 <= status < 400:
                    raise RecorderError(
                        Reason.PROTOCOL_ERROR,
                        f"{what}: HTTP {status} (a redirect, not followed)",
                        http_status=status,
                    )
                if status >= 300:
                    raise RecorderError(
                        Reason.PROTOCOL_ERROR, f"{what}: HTTP {status}", http_status=status
                    )
                content = await read_limited(response, self.max_bytes)
                if content is None:
                    raise RecorderError(
                        Reason.PROTOCOL_ERROR,
                        f"{what}: answer longer than {mib(self.max_bytes)}, refused",
                    )
                return content
        except RecorderError:
            raise
        except TimeoutError:
            raise RecorderError(Reason.TIMEOUT, f"{what}: no answer before the deadline") from None
        except aiohttp.ClientConnectorError as exc:
            raise RecorderError(Reason.UNREACHABLE, f"{what}: {describe(exc)}") from None
        except (aiohttp.ClientError, ConnectionError, asyncio.IncompleteReadError) as exc:
            raise RecorderError(Reason.PROTOCOL_ERROR, f"{what}: {describe(exc)}") from None

    async def get(
        self,
        path: str,
        deadline: Deadline,
        *,
        params: Mapping[str, str] | None = None,
        what: str | None = None,
    ) -> bytes:
        return await self.request("GET", path, deadline, params=params, what=what)

    async def post(
        self,
        path: str,
        body: bytes,
        deadline: Deadline,
        *,
        content_type: str,
        what: str | None = None,
    ) -> bytes:
        return await self.request(
            "POST", path, deadline, body=body, content_type=content_type, what=what
        )

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
