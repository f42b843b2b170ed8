"""Sending the daily report: generic webhook, WeCom and DingTalk robots, email.

Every channel gets the same report; one failing does not stop the others.
A robot URL carries its key in the query string and a signing secret or an
SMTP password sits beside it, so none of them ever reaches a message or a
log line: errors name the channel and the host only, and any text that comes
back from a server is scrubbed of every secret before it is shown.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote_plus, urlsplit

import aiohttp

from monitor.daily_report.settings import (
    DailyReportChannel,
    DingtalkChannel,
    EmailChannel,
    WebhookChannel,
    WecomChannel,
)
from monitor.probing.redact import redact

log = logging.getLogger("tianyan.daily_report")

# WeCom: "markdown.content 最长不超过4096个字节，必须是utf8编码".
WECOM_MAX_BYTES = 4096
# DingTalk does not publish one figure for markdown; 20,000 bytes is the
# limit its robots are known to accept, far above any report cut to max_items.
DINGTALK_MAX_BYTES = 20000
# Server answers are read up to this size: enough for any robot's JSON.
MAX_ANSWER_BYTES = 64 * 1024


class ChannelConfigError(Exception):
    """A channel cannot be used as configured (a missing environment variable, …)."""


class SendError(Exception):
    """A channel did not accept the report; the message is safe to print."""


@dataclass(frozen=True)
class Message:
    """One report, in every form a channel may want."""

    title: str  # e.g. "示例大学 视频监控日报 2026-12-05"
    day: str
    text: str
    markdown: str
    report: Mapping[str, Any]  # DailyReport.to_dict()
    # The markdown within a byte limit (robots): lists shortened, then cut.
    fit_markdown: Callable[[int], str] = field(repr=False)


@dataclass(frozen=True, slots=True)
class Outcome:
    channel: str
    kind: str
    host: str
    ok: bool
    error: str | None = None


class Sender(Protocol):
    name: str
    kind: str

    @property
    def host(self) -> str: ...

    async def send(self, message: Message, session: aiohttp.ClientSession) -> None: ...

    def secrets(self) -> list[str]: ...


def _env(environ: Mapping[str, str], variable: str, what: str, channel: str) -> str:
    value = environ.get(variable, "")
    if not value:
        raise ChannelConfigError(
            f"daily_report channel '{channel}': environment variable {variable} ({what}) is not set"
        )
    return value


def _url_secrets(url: str) -> list[str]:
    """The URL and every part of it that may be a key: what must never be shown."""
    parts = urlsplit(url)
    found = [url, parts.query]
    found += [value for _, value in parse_qsl(parts.query) if len(value) >= 6]
    if parts.password:
        found.append(parts.password)
    return [s for s in found if s]


def host_of(url: str) -> str:
    return urlsplit(url).hostname or "?"


# --------------------------------------------------------------------------- HTTP


@dataclass
class _HttpSender:
    name: str
    kind: str
    url: str = field(repr=False)
    extra_secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def host(self) -> str:
        return host_of(self.url)

    def secrets(self) -> list[str]:
        return _url_secrets(self.url) + [s for s in self.extra_secrets if s]

    def _scrub(self, text: str) -> str:
        return redact(text, sorted(self.secrets(), key=len, reverse=True))

    async def _post(
        self,
        session: aiohttp.ClientSession,
        url: str,
        payload: Mapping[str, Any],
        headers: Mapping[str, str] | None = None,
    ) -> bytes:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            async with session.post(
                url,
                data=body,
                headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
                allow_redirects=False,
            ) as response:
                answer = await response.content.read(MAX_ANSWER_BYTES)
                if not 200 <= response.status < 300:
                    text = self._scrub(answer.decode("utf-8", errors="replace"))
                    raise SendError(f"HTTP {response.status}" + (f": {text}" if text else ""))
                return answer
        except SendError:
            raise
        except TimeoutError:
            raise SendError("no answer before the deadline") from None
        except (aiohttp.ClientError, OSError) as exc:
            # aiohttp's own messages can carry the whole URL (and its key).
            detail = self._scrub(str(exc))
            raise SendError(f"{type(exc).__name__}" + (f": {detail}" if detail else "")) from None

    def _robot_answer(self, answer: bytes) -> None:
        """Robots answer 200 with `{"errcode": 0}`; anything else is a refusal."""
        try:
            data = json.loads(answer.decode("utf-8"))
        except ValueError:
            raise SendError("the robot's answer is not JSON") from None
        code = data.get("errcode") if isinstance(data, dict) else None
        if code != 0:
            message = self._scrub(str(data.get("errmsg", ""))) if isinstance(data, dict) else ""
            raise SendError(f"errcode {code}" + (f": {message}" if message else ""))


@dataclass
class WebhookSender(_HttpSender):
    token: str | None = field(default=None, repr=False)

    def secrets(self) -> list[str]:
        return super().secrets() + ([self.token] if self.token else [])

    async def send(self, message: Message, session: aiohttp.ClientSession) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
        payload = {
            "title": message.title,
            "date": message.day,
            "nothing_to_report": message.report.get("nothing_to_report"),
            "text": message.text,
            "markdown": message.markdown,
            "report": message.report,
        }
        await self._post(session, self.url, payload, headers)


@dataclass
class WecomSender(_HttpSender):
    async def send(self, message: Message, session: aiohttp.ClientSession) -> None:
        content = message.fit_markdown(WECOM_MAX_BYTES)
        payload = {"msgtype": "markdown", "markdown": {"content": content}}
        self._robot_answer(await self._post(session, self.url, payload))


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64(HMAC-SHA256(secret, "timestamp\\nsecret")), URL-encoded."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


@dataclass
class DingtalkSender(_HttpSender):
    secret: str | None = field(default=None, repr=False)
    clock: Any = field(default=time.time, repr=False)

    def secrets(self) -> list[str]:
        return super().secrets() + ([self.secret] if self.secret else [])

    def signed_url(self) -> str:
        if not self.secret:
            return self.url
        timestamp = int(self.clock() * 1000)
        joiner = "&" if urlsplit(self.url).query else "?"
        return (
            f"{self.url}{joiner}timestamp={timestamp}&sign={dingtalk_sign(self.secret, timestamp)}"
        )

    async def send(self, message: Message, session: aiohttp.ClientSession) -> None:
        text = message.fit_markdown(DINGTALK_MAX_BYTES)
        payload = {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}
        self._robot_answer(await self._post(session, self.signed_url(), payload))


# --------------------------------------------------------------------------- email


@dataclass
class EmailSender:
    name: str
    settings: EmailChannel
    password: str | None = field(default=None, repr=False)
    timeout: float = 20.0
    kind: str = "email"

    @property
    def host(self) -> str:
        return self.settings.host

    def secrets(self) -> list[str]:
        return [self.password] if self.password else []

    def build(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["Subject"] = self.settings.subject or message.title
        email["From"] = self.settings.sender
        email["To"] = ", ".join(self.settings.to)
        email.set_content(message.text, charset="utf-8")
        email.add_attachment(
            json.dumps(message.report, ensure_ascii=False, indent=2).encode("utf-8"),
            maintype="application",
            subtype="json",
            filename=f"daily-report-{message.day}.json",
        )
        return email

    def _send_blocking(self, email: EmailMessage) -> None:
        s = self.settings
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if s.ssl:
            client = smtplib.SMTP_SSL(
                s.host, s.effective_port, timeout=self.timeout, context=context
            )
        else:
            client = smtplib.SMTP(s.host, s.effective_port, timeout=self.timeout)
        with client:
            if s.starttls:
                client.starttls(context=context)
            if s.username is not None and self.password is not None:
                client.login(s.username, self.password)
            refused = client.send_message(email)
        if refused:
            raise SendError(f"recipients refused: {', '.join(sorted(refused))}")

    async def send(self, message: Message, session: aiohttp.ClientSession) -> None:
        email = self.build(message)
        try:
            await asyncio.to_thread(self._send_blocking, email)
        except SendError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(f"login refused (SMTP {exc.smtp_code})") from None
        except smtplib.SMTPException as exc:
            raise SendError(f"{type(exc).__name__}: {redact(str(exc), self.secrets())}") from None
        except (OSError, ssl.SSLError) as exc:
            raise SendError(f"{type(exc).__name__}: {redact(str(exc), self.secrets())}") from None


# --------------------------------------------------------------------------- building


def _display_name(channel: DailyReportChannel, index: int, seen: set[str]) -> str:
    name = channel.name or channel.type
    if name in seen:
        name = f"{name}#{index + 1}"
    seen.add(name)
    return name


def build_senders(
    channels: Sequence[DailyReportChannel], environ: Mapping[str, str], *, timeout: float
) -> list[Sender]:
    """A sender per configured channel, with its secrets read from the environment.

    Raises ChannelConfigError naming every missing variable (not their values).
    """
    problems: list[str] = []
    senders: list[Sender] = []
    seen: set[str] = set()
    for index, channel in enumerate(channels):
        name = _display_name(channel, index, seen)
        try:
            senders.append(_sender(channel, name, environ, timeout))
        except ChannelConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ChannelConfigError("; ".join(problems))
    return senders


def _sender(
    channel: DailyReportChannel, name: str, environ: Mapping[str, str], timeout: float
) -> Sender:
    if isinstance(channel, EmailChannel):
        password = None
        if channel.password_env:
            password = _env(environ, channel.password_env, "SMTP password", name)
        return EmailSender(name, channel, password, timeout)
    url = channel.url or _env(environ, channel.url_env or "", "URL", name)
    if not url.startswith(("http://", "https://")) or not urlsplit(url).hostname:
        raise ChannelConfigError(
            f"daily_report channel '{name}': {channel.url_env} does not hold an http(s) URL"
        )
    if isinstance(channel, WebhookChannel):
        token = None
        if channel.bearer_token_env:
            token = _env(environ, channel.bearer_token_env, "bearer token", name)
        return WebhookSender(name, "webhook", url, token=token)
    if isinstance(channel, WecomChannel):
        return WecomSender(name, "wecom", url)
    if isinstance(channel, DingtalkChannel):
        secret = None
        if channel.secret_env:
            secret = _env(environ, channel.secret_env, "signing secret", name)
        return DingtalkSender(name, "dingtalk", url, secret=secret)
    raise ChannelConfigError(f"daily_report channel '{name}': unknown type")


async def send_all(senders: Sequence[Sender], message: Message, *, timeout: float) -> list[Outcome]:
    """Send to every channel at once; each outcome says whether it was accepted."""
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(timeout=client_timeout) as session:

        async def one(sender: Sender) -> Outcome:
            try:
                await asyncio.wait_for(sender.send(message, session), timeout + 5)
            except SendError as exc:
                error = redact(str(exc), sender.secrets())
            except TimeoutError:
                error = "no answer before the deadline"
            except Exception as exc:  # one broken channel must not stop the others
                error = redact(f"{type(exc).__name__}: {exc}", sender.secrets())
            else:
                log.info(
                    "daily report sent channel=%s type=%s host=%s",
                    sender.name,
                    sender.kind,
                    sender.host,
                )
                return Outcome(sender.name, sender.kind, sender.host, True)
            log.warning(
                "daily report not sent channel=%s type=%s host=%s error=%s",
                sender.name,
                sender.kind,
                sender.host,
                error,
            )
            return Outcome(sender.name, sender.kind, sender.host, False, error)

        return list(await asyncio.gather(*(one(s) for s in senders)))
