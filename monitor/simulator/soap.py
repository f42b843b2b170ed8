"""SOAP 1.2 envelopes for the simulator: safe request parsing, WS-Security, faults.

Requests are parsed with a locked-down lxml parser: no DTDs, no entity
expansion, no network access, no huge trees, and a size limit on the body
before the parser sees it. A document type declaration is refused outright
(SOAP 1.2 forbids them), so entity bombs and external entities never reach
the parser's entity machinery.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import time
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from monitor.safe_xml import safe_parser

SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PASSWORD_DIGEST = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    "#PasswordDigest"
)
NS_DEVICE = "http://www.onvif.org/ver10/device/wsdl"
NS_MEDIA = "http://www.onvif.org/ver10/media/wsdl"
NS_SCHEMA = "http://www.onvif.org/ver10/schema"
NS_ERROR = "http://www.onvif.org/ver10/error"

MAX_BODY_BYTES = 64 * 1024
# WS-Security freshness: a token's Created must be this close to the device clock.
CREATED_TOLERANCE_SECONDS = 60.0
# A nonce seen within this window is a replay (covers the whole freshness window).
NONCE_WINDOW_SECONDS = 2 * CREATED_TOLERANCE_SECONDS + 10
NONCE_CACHE_LIMIT = 512

_ENVELOPE_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<env:Envelope xmlns:env="{SOAP_ENV}" xmlns:tt="{NS_SCHEMA}" '
    f'xmlns:tds="{NS_DEVICE}" xmlns:trt="{NS_MEDIA}" xmlns:ter="{NS_ERROR}">'
    "<env:Body>"
)
_ENVELOPE_CLOSE = "</env:Body></env:Envelope>"


def envelope(body_xml: str) -> bytes:
    """Wrap a body fragment (using the tt/tds/trt/ter prefixes) in a SOAP 1.2 envelope."""
    return (_ENVELOPE_OPEN + body_xml + _ENVELOPE_CLOSE).encode("utf-8")


def text(value: object) -> str:
    """Escape a value for XML character data or a double-quoted attribute."""
    return escape(str(value), {'"': "&quot;"})


@dataclass(frozen=True, slots=True)
class SoapFault:
    """A SOAP 1.2 fault to answer with: code, subcodes (outermost first), reason."""

    code: str
    subcodes: tuple[str, ...]
    reason: str
    http_status: int = 400

    def to_bytes(self) -> bytes:
        inner = ""
        for subcode in reversed(self.subcodes):
            inner = f"<env:Subcode><env:Value>{subcode}</env:Value>{inner}</env:Subcode>"
        return envelope(
            "<env:Fault><env:Code>"
            f"<env:Value>{self.code}</env:Value>{inner}"
            "</env:Code><env:Reason>"
            f'<env:Text xml:lang="en">{text(self.reason)}</env:Text>'
            "</env:Reason></env:Fault>"
        )


NOT_AUTHORIZED = SoapFault("env:Sender", ("ter:NotAuthorized",), "Sender not Authorized", 400)
ACTION_NOT_SUPPORTED = SoapFault(
    "env:Receiver", ("ter:ActionNotSupported",), "Optional Action Not Implemented", 400
)
# What the `soap_fault` fault answers: the device accepted the call and failed it.
ACTION_FAILED = SoapFault(
    "env:Receiver", ("ter:Action", "ter:CriticalError"), "Critical error: action failed", 500
)


class SoapFaultError(Exception):
    """Raised while handling a request; the handler answers with `fault`."""

    def __init__(self, fault: SoapFault) -> None:
        super().__init__(fault.reason)
        self.fault = fault


def well_formed_fault(reason: str) -> SoapFault:
    return SoapFault("env:Sender", ("ter:WellFormed",), reason, 400)


def invalid_arg_fault(subcode: str, reason: str) -> SoapFault:
    return SoapFault("env:Sender", ("ter:InvalidArgVal", subcode), reason, 400)


@dataclass(frozen=True, slots=True)
class UsernameToken:
    username: str
    password: str
    password_type: str
    nonce: str
    created: str


@dataclass(frozen=True, slots=True)
class SoapRequest:
    operation: str  # Clark notation, e.g. "{http://www.onvif.org/ver10/device/wsdl}GetProfiles"
    body: etree._Element  # the operation element
    token: UsernameToken | None

    @property
    def namespace(self) -> str:
        return etree.QName(self.operation).namespace or ""

    @property
    def name(self) -> str:
        return etree.QName(self.operation).localname

    def child_text(self, localname: str) -> str | None:
        """Text of the first descendant with this local name (any namespace)."""
        for element in self.body.iter():
            if isinstance(element.tag, str) and etree.QName(element).localname == localname:
                return (element.text or "").strip()
        return None


_parser = safe_parser


_PARSER = _parser()


def _first_child(element: etree._Element | None, tag: str) -> etree._Element | None:
    if element is None:
        return None
    return element.find(tag)


def _token(header: etree._Element | None) -> UsernameToken | None:
    security = _first_child(header, f"{{{WSSE}}}Security")
    token = _first_child(security, f"{{{WSSE}}}UsernameToken")
    if token is None:
        return None
    password = token.find(f"{{{WSSE}}}Password")
    return UsernameToken(
        username=(token.findtext(f"{{{WSSE}}}Username") or "").strip(),
        password=((password.text if password is not None else "") or "").strip(),
        # The profile's default type is PasswordText.
        password_type=(password.get("Type") if password is not None else None) or "",
        nonce=(token.findtext(f"{{{WSSE}}}Nonce") or "").strip(),
        created=(token.findtext(f"{{{WSU}}}Created") or "").strip(),
    )


_NO_DTD = "Document type declarations are not allowed in SOAP messages"


def _malformed(reason: str) -> SoapFaultError:
    return SoapFaultError(well_formed_fault(reason))


def parse_request(body: bytes) -> SoapRequest:
    """Parse a SOAP 1.2 request or raise `SoapFaultError` with the fault to answer."""
    if len(body) > MAX_BODY_BYTES:
        raise SoapFaultError(SoapFault("env:Sender", ("ter:WellFormed",), "Request too large", 413))
    lowered = body.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise _malformed(_NO_DTD)
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        raise _malformed("Well-formed Error") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _malformed(_NO_DTD)
    if root.tag == f"{{{SOAP11_ENV}}}Envelope":
        raise SoapFaultError(SoapFault("env:VersionMismatch", (), "SOAP 1.2 envelope expected"))
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise _malformed("Not a SOAP 1.2 envelope")
    header = root.find(f"{{{SOAP_ENV}}}Header")
    soap_body = root.find(f"{{{SOAP_ENV}}}Body")
    if soap_body is None:
        raise _malformed("SOAP Body missing")
    operation = next((c for c in soap_body if isinstance(c.tag, str)), None)
    if operation is None:
        raise _malformed("SOAP Body is empty")
    return SoapRequest(operation=operation.tag, body=operation, token=_token(header))


def parse_created(value: str) -> float | None:
    """Unix time of an xs:dateTime (``Z`` or offset, optional fraction); None if invalid."""
    if not value or len(value) > 64:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


class NonceCache:
    """Nonces accepted recently, to refuse a replayed UsernameToken (bounded)."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}

    def seen(self, nonce: str, now: float) -> bool:
        expiry = self._seen.get(nonce)
        return expiry is not None and expiry > now

    def add(self, nonce: str, now: float) -> None:
        if len(self._seen) >= NONCE_CACHE_LIMIT:
            self._seen = {n: e for n, e in self._seen.items() if e > now}
            while len(self._seen) >= NONCE_CACHE_LIMIT:  # all fresh: drop the oldest
                del self._seen[next(iter(self._seen))]
        self._seen[nonce] = now + NONCE_WINDOW_SECONDS


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """Base64(SHA1(nonce + created + password)), the UsernameToken PasswordDigest."""
    raw = hashlib.sha1(nonce + created.encode("utf-8") + password.encode("utf-8")).digest()
    return base64.b64encode(raw).decode("ascii")


def check_token(
    token: UsernameToken | None,
    *,
    username: str,
    password: str,
    device_now: float,
    nonces: NonceCache,
) -> bool:
    """Check a UsernameToken PasswordDigest against the credentials and the device clock."""
    if token is None or not hmac.compare_digest(token.username.encode(), username.encode()):
        return False
    if token.password_type != PASSWORD_DIGEST:
        return False
    try:
        nonce = base64.b64decode(token.nonce, validate=True)
    except (binascii.Error, ValueError):
        return False
    if not nonce:
        return False
    created = parse_created(token.created)
    if created is None or abs(created - device_now) > CREATED_TOLERANCE_SECONDS:
        return False
    expected = password_digest(nonce, token.created, password)
    if not hmac.compare_digest(expected.encode("ascii"), token.password.encode("utf-8")):
        return False
    # Replays are tracked on the simulator's own clock (not the device's, which a
    # fault may move): the window only has to outlast the freshness check above.
    now = time.time()
    if nonces.seen(token.nonce, now):
        return False
    nonces.add(token.nonce, now)
    return True
