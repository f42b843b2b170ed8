"""HTTP Digest authentication, server side (RFC 7616: MD5, qop="auth").

Nonces are stateless: ``<issued-at hex>.<HMAC of issued-at and realm>``, so
10,000 devices need no per-client state. A nonce older than `NONCE_LIFETIME`
is answered with a fresh challenge marked ``stale=true``; clients then retry
without asking the user again.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import time
from enum import Enum

NONCE_LIFETIME = 300.0

# key=value or key="quoted value" pairs of an Authorization header.
_PAIR = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


class DigestResult(Enum):
    OK = "ok"
    STALE = "stale"  # right credentials, expired nonce: challenge again with stale=true
    DENIED = "denied"


def parse_authorization(header: str) -> dict[str, str] | None:
    """The parameters of a ``Digest ...`` Authorization header, or None."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest" or not rest:
        return None
    params: dict[str, str] = {}
    for match in _PAIR.finditer(rest):
        key = match.group(1).lower()
        quoted, bare = match.group(2), match.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
        params.setdefault(key, value)
    return params


def _same(a: str, b: str) -> bool:
    """Constant-time comparison that also accepts non-ASCII text."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _md5(data: str) -> str:
    return hashlib.md5(data.encode("utf-8"), usedforsecurity=False).hexdigest()


class DigestAuthority:
    """Issues and checks Digest challenges; one per simulator, shared by all devices."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or os.urandom(32)

    def _sign(self, issued: str, realm: str) -> str:
        mac = hmac.new(self._secret, f"{issued}:{realm}".encode(), hashlib.sha256)
        return mac.hexdigest()[:32]

    def nonce(self, realm: str, now: float | None = None) -> str:
        issued = format(int((time.time() if now is None else now) * 1000), "x")
        return f"{issued}.{self._sign(issued, realm)}"

    def challenge(self, realm: str, *, stale: bool = False) -> str:
        """A ``WWW-Authenticate`` header value."""
        opaque = hashlib.sha256(realm.encode("utf-8")).hexdigest()[:32]
        header = (
            f'Digest realm="{realm}", qop="auth", algorithm=MD5, '
            f'nonce="{self.nonce(realm)}", opaque="{opaque}"'
        )
        return header + (", stale=true" if stale else "")

    def _nonce_age(self, nonce: str, realm: str, now: float) -> float | None:
        issued, _, signature = nonce.partition(".")
        if not issued or len(issued) > 16 or not _same(signature, self._sign(issued, realm)):
            return None
        try:
            return now - int(issued, 16) / 1000.0
        except ValueError:
            return None

    def verify(
        self,
        header: str | None,
        *,
        method: str,
        uri: str,
        realm: str,
        username: str,
        password: str,
        now: float | None = None,
    ) -> DigestResult:
        """Check an Authorization header for a request of `method` on `uri` (path and query)."""
        if not header:
            return DigestResult.DENIED
        params = parse_authorization(header)
        if params is None:
            return DigestResult.DENIED
        needed = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
        if any(key not in params for key in needed):
            return DigestResult.DENIED
        if params.get("algorithm", "MD5").upper() != "MD5" or params["qop"] != "auth":
            return DigestResult.DENIED
        if params["realm"] != realm or params["uri"] != uri:
            return DigestResult.DENIED
        if not _same(params["username"], username):
            return DigestResult.DENIED
        age = self._nonce_age(params["nonce"], realm, time.time() if now is None else now)
        if age is None or age < -5.0:
            return DigestResult.DENIED
        ha1 = _md5(f"{username}:{realm}:{password}")
        ha2 = _md5(f"{method}:{uri}")
        expected = _md5(
            f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:{params['qop']}:{ha2}"
        )
        if not _same(expected, params["response"].lower()):
            return DigestResult.DENIED
        if age > NONCE_LIFETIME:
            return DigestResult.STALE
        return DigestResult.OK
