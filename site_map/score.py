"""The assessment score of appendix item 6 (加强智慧校园建设, 10 points) of seed 000.

    10 − 2 for each of install, intact, storage rate below its target
       − 3 if any `gate` site lacks face_recognition or vehicle_checkpoint
    never below 0.

An absent rate (empty denominator) counts as not met. Pure functions, no I/O;
`site_map.coverage` calls `compute_score` with the school-wide figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from site_map.model import Capability, Targets

if TYPE_CHECKING:
    from site_map.coverage import ScopeRates, SiteStatus

MAX_POINTS = 10
RATE_POINTS = 2
GATE_POINTS = 3
GATE_CATEGORY = "gate"
GATE_CAPABILITIES: tuple[str, ...] = (Capability.FACE_RECOGNITION, Capability.VEHICLE_CHECKPOINT)

# Rates are ratios of counts or of float sums of seconds; a sum such as
# 0.95 * expected may land a few ulps below 0.95. Differences smaller than
# this are rounding, not a missed target.
RATE_TOLERANCE = 1e-9

_RATE_NAMES_ZH = {"install": "安装率", "intact": "设备完好率", "storage": "后台存储资料完好率"}


@dataclass(frozen=True, slots=True)
class Deduction:
    rule: str  # "install" | "intact" | "storage" | "gate_capabilities"
    points: int
    reason: str


@dataclass(frozen=True, slots=True)
class Score:
    value: int
    deductions: tuple[Deduction, ...] = ()
    maximum: int = MAX_POINTS


def meets(rate: float | None, target: float) -> bool:
    """True when a rate reaches its target; an absent rate never does."""
    return rate is not None and rate >= target - RATE_TOLERANCE


def format_rate(rate: float | None) -> str:
    """A rate as a percentage with two decimals, or '—' when absent."""
    return "—" if rate is None else f"{rate * 100:.2f}%"


def format_target(target: float) -> str:
    text = f"{target * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _rate_reason(kind: str, school: ScopeRates, target: float) -> str:
    rate: float | None = getattr(school, kind)
    zh = _RATE_NAMES_ZH[kind]
    if rate is None:
        what = {
            "install": "no key sites",
            "intact": "no cameras assigned to key sites",
            "storage": "no recorded channels",
        }[kind]
        return (
            f"{kind} rate absent ({what}), counted as below target {format_target(target)}"
            f" / {zh}无数据，按未达标计"
        )
    if kind == "install":
        evidence = f"{school.sites_installed_ok}/{school.sites_total} sites"
    elif kind == "intact":
        evidence = f"{school.cameras_intact}/{school.cameras_total} cameras"
    else:
        evidence = (
            f"{school.recorded_seconds / 3600:.1f} h of {school.expected_seconds / 3600:.1f} h"
            f" over {school.channels_recorded} channels"
        )
    # Show enough digits that a rate just under the target never prints as equal.
    shown = format_rate(rate)
    if f"{rate * 100:.2f}" == f"{target * 100:.2f}":
        shown = f"{rate * 100:.6f}%"
    return (
        f"{kind} rate {shown} ({evidence}) below target {format_target(target)}"
        f" / {zh} {shown} 低于目标 {format_target(target)}"
    )


def compute_score(
    school: ScopeRates,
    sites: Iterable[SiteStatus],
    targets: Targets,
    *,
    maximum: int = MAX_POINTS,
) -> Score:
    """The score for a school from its school-wide rates and its site statuses."""
    deductions: list[Deduction] = []
    for kind in ("install", "intact", "storage"):
        target = float(getattr(targets, kind))
        if not meets(getattr(school, kind), target):
            deductions.append(Deduction(kind, RATE_POINTS, _rate_reason(kind, school, target)))

    gates = [s for s in sites if s.category == GATE_CATEGORY]
    lacking = [g for g in gates if any(cap not in g.provided for cap in GATE_CAPABILITIES)]
    if not gates:
        deductions.append(
            Deduction(
                "gate_capabilities",
                GATE_POINTS,
                "no gate site in the site map, so face recognition and vehicle checkpoints"
                " at the gates cannot be shown / 未登记校门，无法证明已安装人脸识别和车辆卡口",
            )
        )
    elif lacking:
        parts = []
        for gate in lacking:
            missing = [cap for cap in GATE_CAPABILITIES if cap not in gate.provided]
            parts.append(f"{gate.id} lacks {', '.join(missing)}")
        shown = "; ".join(parts[:5]) + (f"; and {len(parts) - 5} more" if len(parts) > 5 else "")
        deductions.append(
            Deduction(
                "gate_capabilities",
                GATE_POINTS,
                f"{len(lacking)} of {len(gates)} gate sites lack face recognition or vehicle"
                f" checkpoint: {shown} / 校门未安装人脸识别或车辆卡口",
            )
        )

    value = max(0, maximum - sum(d.points for d in deductions))
    return Score(value=value, deductions=tuple(deductions), maximum=maximum)
