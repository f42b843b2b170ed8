"""The `daily_report:` section of the config file (docs/daily-report.md).

```yaml
daily_report:
  timezone: Asia/Shanghai          # the day a report covers is a local day
  monitor_url: http://127.0.0.1:9847   # optional: live NVR and disk health from the monitor
  channels:
    - {type: wecom, url_env: TIANYAN_WECOM_URL}
    - {type: dingtalk, url_env: TIANYAN_DINGTALK_URL, secret_env: TIANYAN_DINGTALK_SECRET}
    - {type: webhook, url: "http://10.0.0.9/hooks/cctv", bearer_token_env: HOOK_TOKEN}
    - {type: email, host: smtp.example.edu.cn, from: tianyan@example.edu.cn,
       to: [duty@example.edu.cn], username: tianyan, password_env: TIANYAN_SMTP_PASSWORD}
```

Secrets (passwords, signing secrets, tokens) are only ever named by an
environment variable (`*_env`): a literal one in the file is refused. A robot
URL carries its key in the query string, so it may come from `url_env` too,
and it is never printed or logged beyond its host.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from site_map.model import TimeZoneName

DEFAULT_TIMEZONE = "Asia/Shanghai"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")
# Keys someone may write by mistake in place of their `*_env` form.
_LITERAL_SECRETS = ("password", "secret", "token", "bearer_token", "key")


def check_env_name(value: str | None) -> str | None:
    if value is not None and not _ENV_NAME.match(value):
        raise ValueError(f"'{value}' is not an environment variable name")
    return value


def check_http_url(value: str | None) -> str | None:
    """An http(s) URL with a host; the message never repeats the URL (it may hold a key)."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http:// or https:// URL with a host")
    return value


EnvVar = Annotated[str | None, AfterValidator(check_env_name)]
HttpUrl = Annotated[str | None, AfterValidator(check_http_url)]


class _Channel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str | None = Field(None, description="shown in messages; default: the type")

    @model_validator(mode="before")
    @classmethod
    def _no_literal_secret(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in _LITERAL_SECRETS:
                if key in data:
                    raise ValueError(
                        f"'{key}' is not accepted in the file: name an environment "
                        f"variable that holds it with '{key}_env'"
                    )
        return data


class _HttpChannel(_Channel):
    url: HttpUrl = Field(None, repr=False)
    url_env: EnvVar = None

    @model_validator(mode="after")
    def _one_url(self) -> _HttpChannel:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url and url_env")
        return self


class WebhookChannel(_HttpChannel):
    """Any HTTP endpoint: the whole report as JSON (see docs/daily-report.md)."""

    type: Literal["webhook"]
    bearer_token_env: EnvVar = None


class WecomChannel(_HttpChannel):
    """企业微信群机器人: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"""

    type: Literal["wecom"]


class DingtalkChannel(_HttpChannel):
    """钉钉自定义机器人: https://oapi.dingtalk.com/robot/send?access_token=…"""

    type: Literal["dingtalk"]
    secret_env: EnvVar = Field(None, description="the robot's 加签 secret (SEC…)")


class EmailChannel(_Channel):
    type: Literal["email"]
    host: str = Field(min_length=1)
    port: int | None = Field(None, ge=1, le=65535, description="default 587, 465 with ssl")
    starttls: bool = True
    ssl: bool = False
    sender: str = Field(alias="from")
    to: list[str] = Field(min_length=1)
    username: str | None = None
    password_env: EnvVar = None
    subject: str | None = None

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError(f"'{value}' is not an email address")
        return value

    @field_validator("to")
    @classmethod
    def _to(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _EMAIL.match(value):
                raise ValueError(f"'{value}' is not an email address")
        return values

    @model_validator(mode="after")
    def _modes(self) -> EmailChannel:
        if self.ssl and self.starttls:
            raise ValueError("ssl (implicit TLS, port 465) and starttls exclude each other")
        if (self.username is None) != (self.password_env is None):
            raise ValueError("give both username and password_env, or neither")
        return self

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return 465 if self.ssl else 587 if self.starttls else 25


DailyReportChannel = Annotated[
    WebhookChannel | WecomChannel | DingtalkChannel | EmailChannel,
    Field(discriminator="type"),
]


class DailyReportSettings(BaseModel):
    """The duty room's daily summary (零报告): where it goes and how the day is cut."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: TimeZoneName = DEFAULT_TIMEZONE
    title: str | None = Field(None, description="default: '<school> 视频监控日报'")
    monitor_url: HttpUrl = Field(
        None, description="the running monitor, for live NVR and disk health (/api/recordings)"
    )
    timeout_seconds: float = Field(20.0, gt=0, description="deadline of each channel's send")
    max_items: int = Field(20, ge=1, le=1000, description="entries listed per section")
    channels: list[DailyReportChannel] = []
