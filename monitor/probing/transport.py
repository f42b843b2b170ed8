"""The ONVIF client's HTTP transport, held to the monitor's rules.

onvif-zeep-async gives every ONVIF service its own zeep transport
(`AsyncTransportProtocolErrorHandler`, built on aiohttp). As shipped it reads
a whole answer into memory whatever its size, follows redirects, posts to
whatever address the device advertised (unless `nat_override` rewrites it),
re-sends the same signed envelope after a dropped connection, and hands
zeep answers that zeep parses in recover mode, so that half an answer
followed by junk reads as a valid, partly empty one.

`DeviceClient` is the ONVIF client with every service's transport replaced by
a `DeviceTransport`, which

- posts only to the configured host and port, over plain HTTP, whatever
  address the device advertised, and never follows a redirect: the monitor
  never follows a device to an address it was not configured for;
- refuses an answer longer than `MAX_ANSWER_BYTES` (by its Content-Length,
  unread, or while streaming it) and closes that connection;
- refuses, unparsed, an answer with a document type declaration (SOAP
  forbids them; that is where entity bombs and external entities live), and
  one that is not well-formed XML;
- turns HTTP 401/403 into "credentials refused" and an HTTP error without a
  SOAP body into a short description, instead of zeep's "Unknown fault";
- does not re-send an envelope: see `onvif.call` for the retry that signs anew.

Every refusal is a `StageFailure` with a short detail, so it reaches the
probe result unchanged.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import httpx
from aiohttp import ClientResponse
from lxml import etree
from onvif import ONVIFCamera
from onvif.client import (
    AsyncTransportProtocolErrorHandler,
    ONVIFService,
    UsernameDigestTokenDtDiff,
    ZeepAsyncClient,
    _cached_document,
)
from onvif.wsa import WsAddressingIfMissingPlugin
from onvif.zeep_aiohttp import AIOHTTPTransport
from requests import Response
from zeep.proxy import AsyncOperationProxy, AsyncServiceProxy
from zeep.settings import Settings
from zeep.utils import get_version

from monitor.probing.errors import StageFailure
from monitor.probing.result import Reason
from monitor.safe_xml import safe_parser

# No ONVIF answer comes near this: a media profile takes about 3 KB, so even a
# 64-channel NVR's GetProfiles stays well below 1 MiB.
MAX_ANSWER_BYTES = 4 * 1024 * 1024

RAW_ANSWERS = Settings(strict=False, xml_huge_tree=False, raw_response=True)

# The start of the root element: everything before it is the XML prolog.
_ROOT_START = re.compile(rb"<[A-Za-z_:]")
_DOCTYPE = re.compile(rb"<!doctype", re.IGNORECASE)


_strict_parser = safe_parser


def too_large(what: str, limit: int, announced: int | None) -> str:
    size = f" ({announced} bytes announced)" if announced is not None else ""
    return f"{what} is larger than {mib(limit)}{size}; refused without reading it all"


def mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


def pinned_url(url: str, address: str) -> str:
    """`url` with its scheme and host:port replaced by http://`address` (path and query kept)."""
    parts = urlsplit(url)
    return urlunsplit(("http", address, parts.path or "/", parts.query, ""))


async def read_limited(response: ClientResponse, limit: int) -> bytes | None:
    """The body of `response`, or None as soon as it is known to be longer than `limit`.

    A refused answer's connection is closed, never reused: the rest of the
    body is never read.
    """
    if response.content_length is not None and response.content_length > limit:
        response.close()
        return None
    body = bytearray()
    while chunk := await response.content.readany():
        body += chunk
        if len(body) > limit:
            response.close()
            return None
    return bytes(body)


def broken_off(exc: aiohttp.ClientPayloadError) -> str:
    """Describe a body that ended early (aiohttp names the connection error in its text)."""
    if "ConnectionResetError" in str(exc) or isinstance(exc.__cause__, ConnectionResetError):
        return "the answer broke off before its end: the device reset the connection"
    return "the answer broke off before its end: the device closed the connection"


def check_xml(content: bytes) -> etree._Element:
    """The answer's root; refuse one that carries a DTD or is not well-formed XML."""
    root_at = _ROOT_START.search(content)
    prolog = content[: root_at.start()] if root_at else content[:4096]
    if _DOCTYPE.search(prolog):
        raise StageFailure(
            Reason.PROTOCOL_ERROR,
            "the answer carries a document type declaration (XML entities); refused unparsed",
        )
    try:
        root = etree.fromstring(content, _strict_parser())
    except etree.XMLSyntaxError as exc:
        message = str(exc.msg or exc).split(" (<string>")[0]
        raise StageFailure(
            Reason.PROTOCOL_ERROR, f"the answer is not well-formed XML: {message[:120]}"
        ) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # e.g. a UTF-16 document
        raise StageFailure(
            Reason.PROTOCOL_ERROR,
            "the answer carries a document type declaration (XML entities); refused unparsed",
        )
    return root


def _is_xml(response: ClientResponse) -> bool:
    return "xml" in (response.content_type or "").lower()


def _is_html(response: ClientResponse) -> bool:
    return "html" in (response.content_type or "").lower()


def _looks_like_soap(content: bytes) -> bool:
    """A SOAP envelope, whatever Content-Type the firmware put on it."""
    return b"Envelope" in content[:1024]


def check_answer(response: ClientResponse, content: bytes) -> None:
    """What the device answered, judged before zeep sees it (StageFailure when refused)."""
    status = response.status
    if status in (401, 403):
        raise StageFailure(
            Reason.AUTH_FAILED, f"the device answered HTTP {status} {response.reason or ''}".strip()
        )
    if 300 <= status < 400:
        location = urlsplit(response.headers.get("Location", "")).netloc or "elsewhere"
        raise StageFailure(
            Reason.PROTOCOL_ERROR,
            f"HTTP {status}: the device redirects to {location[:80]}; not followed",
        )
    if not content or (
        not _looks_like_soap(content)
        and (not _is_xml(response) if status != 200 else _is_html(response))
    ):
        what = f"{len(content)} bytes of {response.content_type}" if content else "an empty body"
        raise StageFailure(
            Reason.PROTOCOL_ERROR,
            f"HTTP {status} {response.reason or ''} with {what} instead of a SOAP answer",
        )
    check_xml(content)


class DeviceTransport(AsyncTransportProtocolErrorHandler):
    """A service's zeep transport that keeps to the configured address and to a size cap."""

    def __init__(
        self, session: aiohttp.ClientSession, address: str, max_bytes: int = MAX_ANSWER_BYTES
    ) -> None:
        super().__init__(session=session, verify_ssl=False)
        self.address = address  # host:port the monitor was configured with
        self.max_bytes = max_bytes

    # The library's versions of these retry by re-sending the same signed
    # envelope, which a device that did receive it refuses as a replay.
    async def post(self, address: str, message: str, headers: dict[str, str]) -> httpx.Response:
        return await AIOHTTPTransport.post(self, address, message, headers)

    async def post_xml(self, address: str, envelope: Any, headers: dict[str, str]) -> Response:
        return await AIOHTTPTransport.post_xml(self, address, envelope, headers)

    async def get(
        self,
        address: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        # WSDL documents come from the package, never from a device.
        raise StageFailure(Reason.PROTOCOL_ERROR, "the client asked to fetch a document")

    async def _post_internal(
        self, address: str, message: str | bytes, headers: dict[str, str]
    ) -> tuple[ClientResponse, bytes]:
        headers = dict(headers or {})
        headers.setdefault("User-Agent", f"Zeep/{get_version()}")
        headers.setdefault("Content-Type", 'text/xml; charset="utf-8"')
        data = message.encode("utf-8") if isinstance(message, str) else message
        response = await self.session.post(
            pinned_url(address, self.address),
            data=data,
            headers=headers,
            allow_redirects=False,
            timeout=self._client_timeout,
        )
        try:
            content = await read_limited(response, self.max_bytes)
        except aiohttp.ClientPayloadError as exc:
            response.close()
            raise StageFailure(Reason.PROTOCOL_ERROR, broken_off(exc)) from None
        except BaseException:
            response.close()
            raise
        if content is None:
            raise StageFailure(
                Reason.PROTOCOL_ERROR,
                too_large("the answer", self.max_bytes, response.content_length),
            )
        check_answer(response, content)
        return response, content


class _Operations(dict[str, AsyncOperationProxy]):
    """A binding's operation proxies, each made when first called."""

    def __init__(self, proxy: AsyncServiceProxy) -> None:
        super().__init__()
        self._proxy = proxy

    def __missing__(self, name: str) -> AsyncOperationProxy:
        if name not in self._proxy._binding.all():
            raise KeyError(name)
        operation = self[name] = AsyncOperationProxy(self._proxy, name)
        return operation


class LeanServiceProxy(AsyncServiceProxy):
    """zeep's service proxy without its up-front proxy for every operation.

    The device-management binding has about a hundred operations; made up
    front for two clients of two services of every camera, they were the
    largest single cost of a monitor's first cycle and most of its memory
    at 10,000 cameras. A probe calls five of them.
    """

    def __init__(self, client: Any, binding: Any, **binding_options: Any) -> None:
        self._client = client
        self._binding_options = binding_options
        self._binding = binding
        self._operations = _Operations(self)  # type: ignore[assignment]


class DeviceService(ONVIFService):
    """One ONVIF service of one device, built for the monitor.

    Unlike the library's service it opens no HTTP session of its own (all of
    a device's services and its snapshots share the device's one), speaks
    through a `DeviceTransport`, hands zeep's raw answers to
    `monitor.probing.answers`, and makes operation proxies lazily.
    """

    def __init__(
        self,
        xaddr: str,
        user: str | None,
        passwd: str | None,
        url: str,
        *,
        http: aiohttp.ClientSession,
        address: str,
        dt_diff: Any = None,
        binding_name: str = "",
        binding_key: Any = "",
    ) -> None:
        self.url = url
        self.xaddr = xaddr
        self.binding_key = binding_key
        self.user = user
        self.passwd = passwd
        self.encrypt = True
        self.dt_diff = dt_diff
        self.binding_name = binding_name
        self.transport = DeviceTransport(http, address)
        self.document: Any = None
        self.zeep_client_authless: ZeepAsyncClient | None = None
        self.ws_client_authless: AsyncServiceProxy | None = None
        self.zeep_client: ZeepAsyncClient | None = None
        self.ws_client: AsyncServiceProxy | None = None
        self.create_type: Any = None

    async def setup(self) -> None:
        self.document = await _cached_document(self.url)
        # Digest only: the password itself never goes over the wire.
        wsse = UsernameDigestTokenDtDiff(
            self.user, self.passwd, dt_diff=self.dt_diff, use_digest=True
        )
        plugins = [WsAddressingIfMissingPlugin()]
        self.zeep_client_authless = ZeepAsyncClient(
            wsdl=self.document, transport=self.transport, settings=RAW_ANSWERS, plugins=plugins
        )
        self.zeep_client = signed = ZeepAsyncClient(
            wsdl=self.document,
            wsse=wsse,
            transport=self.transport,
            settings=RAW_ANSWERS,
            plugins=plugins,
        )
        binding = signed.wsdl.bindings[self.binding_name]
        self.ws_client_authless = LeanServiceProxy(
            self.zeep_client_authless, binding, address=self.xaddr
        )
        self.ws_client = LeanServiceProxy(self.zeep_client, binding, address=self.xaddr)

    async def close(self) -> None:
        """Nothing of its own to close: the device's HTTP session is closed with the device."""


class DeviceClient(ONVIFCamera):
    """The ONVIF client whose every service is a `DeviceService`."""

    async def create_onvif_service(
        self,
        name: str,
        port_type: str | None = None,
        read_timeout: int | None = None,
        write_timeout: int | None = None,
    ) -> ONVIFService:
        name = name.lower()
        key = (name, port_type)
        xaddr, wsdl_file, binding_name = self.get_definition(name, port_type)
        existing = self.services.get(key)
        if existing is not None and existing.xaddr == xaddr:
            return existing
        host = f"[{self.host}]" if ":" in self.host else self.host
        service = DeviceService(
            xaddr,
            self.user,
            self.passwd,
            wsdl_file,
            http=self._snapshot_client,
            address=f"{host}:{self.port}",
            dt_diff=self.dt_diff,
            binding_name=binding_name,
            binding_key=key,
        )
        await service.setup()
        self.services[key] = service
        return service
