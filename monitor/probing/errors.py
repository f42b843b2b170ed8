"""Turning what went wrong on the wire into the design's closed set of reasons."""

from __future__ import annotations

import asyncio
import ssl

import aiohttp
from zeep import exceptions as zeep_errors

from monitor.probing.result import Reason


class StageFailure(Exception):
    """A prober's verdict: this stage failed for this reason."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def root_cause(exc: BaseException) -> BaseException:
    """The innermost cause: the ONVIF client wraps errors in ONVIFError."""
    seen = set()
    while exc.__cause__ is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc = exc.__cause__
    return exc


def is_not_authorized(exc: BaseException) -> bool:
    """A SOAP fault ter:NotAuthorized, or HTTP 401, both mean: credentials refused."""
    exc = root_cause(exc)
    if isinstance(exc, zeep_errors.Fault):
        subcodes = [str(getattr(code, "localname", code)) for code in (exc.subcodes or [])]
        text = f"{exc.message or ''} {exc.code or ''}".lower()
        return (
            any("notauthorized" in code.lower() for code in subcodes)
            or "not authorized" in text
            or "notauthorized" in text
            or "unauthorized" in text
        )
    if isinstance(exc, zeep_errors.TransportError):
        return exc.status_code in (401, 403)
    if isinstance(exc, aiohttp.ClientResponseError):
        return exc.status in (401, 403)
    return False


def classify(exc: BaseException) -> Reason:
    """The reason for an exception no prober anticipated."""
    exc = root_cause(exc)
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return Reason.TIMEOUT
    if is_not_authorized(exc):
        return Reason.AUTH_FAILED
    if isinstance(exc, ssl.SSLError):
        return Reason.PROTOCOL_ERROR
    if isinstance(
        exc,
        aiohttp.ClientConnectorError | ConnectionRefusedError | aiohttp.ClientOSError,
    ):
        return Reason.UNREACHABLE
    if isinstance(exc, ConnectionError | aiohttp.ServerDisconnectedError):
        # The device accepted the connection and then dropped it mid-answer.
        return Reason.PROTOCOL_ERROR
    if isinstance(exc, OSError):
        return Reason.UNREACHABLE
    return Reason.PROTOCOL_ERROR


def describe(exc: BaseException) -> str:
    """A short, secret-free description: exception type and its first words."""
    exc = root_cause(exc)
    if isinstance(exc, zeep_errors.Fault):
        subcodes = ",".join(str(getattr(c, "localname", c)) for c in (exc.subcodes or []))
        return f"SOAP fault {subcodes or exc.code or ''}: {exc.message}".strip()
    if isinstance(exc, zeep_errors.TransportError):
        return f"HTTP {exc.status_code}: {str(exc).splitlines()[0] if str(exc) else ''}"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"
