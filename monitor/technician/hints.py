"""What to do about a failed probe, in plain words, in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.probing.result import Reason

# Beyond this the camera's recordings carry visibly wrong timestamps.
CLOCK_WARNING_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Hint:
    zh: str
    en: str

    def to_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


HINTS: dict[Reason, Hint] = {
    Reason.UNREACHABLE: Hint(
        "无法连接设备：检查设备供电、网线和交换机端口（指示灯是否亮），"
        "核对 IP 地址和端口是否正确（可先 ping 该地址）。",
        "Cannot connect: check the device's power, the cable and the switch port "
        "(is the link light on?), and that the IP address and port are right (try ping).",
    ),
    Reason.TIMEOUT: Hint(
        "设备在时限内没有应答：设备可能过载或死机，或网络在丢包；"
        "检查交换机端口的错误计数和 PoE 供电预算，必要时重启设备。",
        "No answer in time: the device may be overloaded or hung, or the network drops "
        "packets; check the switch port's error counters and the PoE power budget, "
        "and reboot the device if needed.",
    ),
    Reason.AUTH_FAILED: Hint(
        "用户名或密码被拒绝：核对账号和密码；多次失败后账户可能被锁定，"
        "请等待解锁或在设备网页上重置；部分设备（如海康）的 ONVIF 用户需单独添加。",
        "The user name or password was refused: check them; after several failed attempts "
        "the account may be locked (wait, or reset it on the device's web page); some "
        "devices (e.g. Hikvision) keep a separate list of ONVIF users.",
    ),
    Reason.CLOCK_SKEW: Hint(
        "设备时钟偏差过大，认证无法通过：先设置设备时间或配置 NTP 校时，再重新核对密码。",
        "The device's clock is so far off that authentication cannot pass: set the device "
        "clock (NTP) first, then check the password again.",
    ),
    Reason.PROTOCOL_ERROR: Hint(
        "设备的应答不符合 ONVIF：可能是固件缺陷，或该设备不是 ONVIF 设备；"
        "升级固件，并在设备设置中确认已启用 ONVIF。",
        "The device's answer is not valid ONVIF: a firmware bug, or not an ONVIF device; "
        "update the firmware and check that ONVIF is enabled in the device's settings.",
    ),
    Reason.NO_VIDEO: Hint(
        "取不到图像：抓图功能被禁用或编码器故障；检查媒体配置（码流和抓图设置），必要时重启设备。",
        "No image: snapshots are disabled or the encoder is faulty; check the media profile "
        "(stream and snapshot settings), and reboot the device if needed.",
    ),
    Reason.VIDEO_FAULT: Hint(
        "图像异常：检查镜头（遮挡、脏污、失焦、移位）和画面设置。",
        "The image is faulty: check the lens (covered, dirty, out of focus, moved) and the "
        "picture settings.",
    ),
}


def hint_for(reason: Reason) -> Hint:
    return HINTS[reason]


def no_password(variable: str) -> Hint:
    return Hint(
        f"未设置环境变量 {variable}（密码）：需要认证的阶段无法通过。",
        f"{variable} is not set (the password): the authenticated stages cannot pass.",
    )


def _hours_minutes(seconds: float) -> tuple[int, int] | None:
    """Whole hours and minutes of an offset of a minute or more."""
    if abs(seconds) < 60:
        return None
    hours, minutes = divmod(round(abs(seconds) / 60), 60)
    return hours, minutes


def format_offset(seconds: float) -> str:
    """``+28800.0 s (camera 8 h 0 min ahead)``: the camera's clock minus ours."""
    text = f"{seconds:+.1f} s"
    span = _hours_minutes(seconds)
    if span is not None:
        hours, minutes = span
        size = f"{hours} h {minutes} min" if hours else f"{minutes} min"
        text += f" (camera {size} {'ahead' if seconds > 0 else 'behind'})"
    return text


def _format_offset_zh(seconds: float) -> str:
    text = f"{seconds:+.1f} 秒"
    span = _hours_minutes(seconds)
    if span is not None:
        hours, minutes = span
        size = f"{hours} 小时 {minutes} 分" if hours else f"{minutes} 分"
        text += f"（{'快' if seconds > 0 else '慢'} {size}）"
    return text


def clock_warning(offset: float | None) -> Hint | None:
    """A warning when the camera's clock is more than a few seconds off, else None."""
    if offset is None or abs(offset) <= CLOCK_WARNING_SECONDS:
        return None
    return Hint(
        f"摄像机时钟偏差 {_format_offset_zh(offset)}：录像的时间戳是错的，请配置 NTP 校时。",
        f"The camera's clock is off by {format_offset(offset)}: recordings' timestamps are "
        "wrong — set NTP.",
    )
