"""Turning what went wrong on the wire into the design's closed set of reasons."""

from __future__ import annotations

import asyncio
import errno
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
    if isinstance(exc, StageFailure):
        return exc.reason is Reason.AUTH_FAILED
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
    if isinstance(exc, StageFailure):
        return exc.reason
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return Reason.TIMEOUT
    if is_not_authorized(exc):
        return Reason.AUTH_FAILED
    if isinstance(exc, ssl.SSLError):
        return Reason.PROTOCOL_ERROR
    if isinstance(exc, aiohttp.ClientConnectorError | ConnectionRefusedError):
        # No connection could be made at all.
        return Reason.UNREACHABLE
    if isinstance(
        exc,
        aiohttp.ClientOSError
        | aiohttp.ClientPayloadError
        | aiohttp.ServerDisconnectedError
        | ConnectionError,
    ):
        # The device accepted the connection, then dropped or reset it mid-exchange.
        return Reason.PROTOCOL_ERROR
    if isinstance(exc, OSError):
        return Reason.UNREACHABLE
    return Reason.PROTOCOL_ERROR


def _first_line(text: str, limit: int = 160) -> str:
    lines = text.strip().splitlines()
    line = lines[0] if lines else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def describe(exc: BaseException) -> str:
    """A short, secret-free description for a technician; never raises."""
    try:
        return _describe(root_cause(exc))
    except Exception:
        return type(exc).__name__


def _describe(exc: BaseException) -> str:
    if isinstance(exc, StageFailure):
        return exc.detail
    if isinstance(exc, zeep_errors.DTDForbidden | zeep_errors.EntitiesForbidden):
        # Never the entity's text: it may be a bomb, or name a local file.
        return "the answer declares XML entities; refused unexpanded"
    if isinstance(exc, zeep_errors.Fault):
        subcodes = ",".join(str(getattr(c, "localname", c)) for c in (exc.subcodes or []))
        code = str(getattr(exc.code, "localname", exc.code) or "")
        message = _first_line(str(exc.message or ""))
        return f"SOAP fault {subcodes or code}" + (f": {message}" if message else "")
    if isinstance(exc, zeep_errors.TransportError):
        return f"HTTP {exc.status_code}: {_first_line(str(exc))}"
    if isinstance(exc, zeep_errors.XMLSyntaxError):
        return f"the answer is not a SOAP message: {_first_line(str(exc))}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the device closed the connection without answering"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect: {exc.os_error.strerror or exc.os_error}"
    if isinstance(exc, ConnectionResetError) or (
        isinstance(exc, aiohttp.ClientOSError) and exc.errno == errno.ECONNRESET
    ):
        return "the device reset the connection"
    text = _first_line(str(exc))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
