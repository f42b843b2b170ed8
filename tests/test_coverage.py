"""Coverage maths: every rate, scope, site status and score deduction, hand-computed."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from site_map.coverage import (
    CameraHealth,
    ChannelStorage,
    CoverageReport,
    ScopeRates,
    compute_coverage,
    coverage_csv,
    coverage_table,
    coverage_to_json,
)
from site_map.model import SiteMap
from site_map.score import compute_score

UP = CameraHealth(online=True, intact=True)
DOWN = CameraHealth(online=False, intact=False)
FAULTY = CameraHealth(online=True, intact=False)  # answers, but no video or an image fault
SHIFTED = CameraHealth(online=True, intact=True, shifted=True)

FACE = "face_recognition"
VEHICLE = "vehicle_checkpoint"
DAY = 86_400.0


def site(sid: str, campus: str = "north", category: str = "canteen", **extra: Any) -> dict:
    return {"id": sid, "name": f"site {sid}", "campus": campus, "category": category, **extra}


def cam(cid: str, *sites: str, roles: tuple[str, ...] = (), **extra: Any) -> dict:
    return {
        "id": cid,
        "sites": list(sites),
        "roles": list(roles),
        "onvif": {"host": "10.20.1.11"},
        **extra,
    }


def make_map(
    sites: list[dict],
    cameras: list[dict],
    campuses: tuple[str, ...] = ("north", "south"),
    **extra: Any,
) -> SiteMap:
    return SiteMap.model_validate(
        {
            "school": "Example University",
            "campuses": [{"id": c, "name": f"{c} campus"} for c in campuses],
            "sites": sites,
            "cameras": cameras,
            "credentials": {"default": {"username": "admin", "password_env": "TIANYAN_PW"}},
            **extra,
        }
    )


def gate_ok(sid: str = "gate-1", campus: str = "north") -> tuple[dict, list[dict]]:
    """A gate with both gate capabilities and its two cameras (ids derived from sid)."""
    return (
        site(sid, campus, "gate"),
        [cam(f"{sid}-face", sid, roles=(FACE,)), cam(f"{sid}-lpr", sid, roles=(VEHICLE,))],
    )


def rates(scope: ScopeRates) -> tuple[float | None, ...]:
    return (scope.install, scope.online, scope.intact, scope.storage, scope.effective)


def rules(report: CoverageReport) -> list[str]:
    return [d.rule for d in report.score.deductions]


# ------------------------------------------------------------------ empty scopes


def test_no_sites_gives_absent_rates_everywhere() -> None:
    report = compute_coverage(make_map([], []), {})
    assert rates(report.school) == (None, None, None, None, None)
    assert report.school.sites_total == 0
    assert report.school.cameras_total == 0
    assert set(report.campuses) == {"north", "south"}
    for campus in report.campuses.values():
        assert rates(campus) == (None, None, None, None, None)
    assert report.categories == {}
    assert report.units == {}
    assert report.campus_categories == {}
    assert report.sites == ()


def test_campus_without_sites_has_absent_rates_and_others_do_not() -> None:
    sm = make_map([site("a", "north")], [cam("c1", "a")], campuses=("north", "south", "east"))
    report = compute_coverage(sm, {"c1": UP})
    assert rates(report.campuses["north"]) == (1.0, 1.0, 1.0, None, 1.0)
    assert rates(report.campuses["south"]) == (None, None, None, None, None)
    assert rates(report.campuses["east"]) == (None, None, None, None, None)
    assert list(report.campuses) == ["north", "south", "east"]  # declared order


def test_sites_without_cameras_have_rates_but_no_camera_rates() -> None:
    sm = make_map([site("a"), site("b")], [])
    report = compute_coverage(sm, {})
    assert report.school.install == 0.0
    assert report.school.effective == 0.0
    assert report.school.online is None
    assert report.school.intact is None
    assert report.school.storage is None


def test_camera_without_sites_is_outside_every_scope() -> None:
    sm = make_map([site("a")], [cam("c1", "a"), cam("spare")])
    report = compute_coverage(sm, {"c1": UP, "spare": DOWN}, {"spare": ChannelStorage(0.0, DAY)})
    assert report.school.cameras_total == 1
    assert report.school.online == 1.0
    assert report.school.cameras_offline_ids == ()
    assert report.school.storage is None
    assert report.school.channels_recorded == 0


# ------------------------------------------------------------ cameras and scopes


def test_camera_covering_sites_in_two_campuses_counts_once_per_scope() -> None:
    sm = make_map(
        [
            site("n1", "north", "canteen"),
            site("n2", "north", "canteen"),
            site("s1", "south", "library"),
        ],
        [
            cam("c1", "n1", "n2", "s1"),  # covers both campuses, two north sites
            cam("c2", "n1"),
            cam("c3", "s1"),
        ],
    )
    health = {"c1": UP, "c2": DOWN, "c3": FAULTY}
    report = compute_coverage(sm, health)

    school = report.school
    assert (school.cameras_total, school.cameras_online, school.cameras_intact) == (3, 2, 1)
    assert school.online == pytest.approx(2 / 3)
    assert school.intact == pytest.approx(1 / 3)
    assert school.cameras_offline_ids == ("c2",)
    assert school.cameras_not_intact_ids == ("c2", "c3")

    north = report.campuses["north"]
    assert (north.cameras_total, north.cameras_online, north.cameras_intact) == (2, 1, 1)
    assert (north.online, north.intact) == (0.5, 0.5)

    south = report.campuses["south"]
    assert (south.cameras_total, south.cameras_online, south.cameras_intact) == (2, 2, 1)
    assert (south.online, south.intact) == (1.0, 0.5)
    assert south.cameras_not_intact_ids == ("c3",)

    assert report.categories["canteen"].cameras_total == 2
    assert report.categories["library"].cameras_total == 2
    assert report.campus_categories[("north", "canteen")].cameras_total == 2

    # Every site has at least one intact camera (c1), one required each.
    assert school.install == 1.0
    assert school.effective == 1.0
    by_id = {s.id: s for s in report.sites}
    assert (by_id["n1"].installed, by_id["n1"].online, by_id["n1"].intact) == (2, 1, 1)
    assert (by_id["s1"].installed, by_id["s1"].online, by_id["s1"].intact) == (2, 2, 1)
    assert by_id["n2"].cameras == ("c1",)


def test_camera_listing_a_site_twice_counts_once() -> None:
    sm = make_map([site("g", category="gate")], [cam("c1", "g", "g")])
    report = compute_coverage(sm, {"c1": UP})
    status = report.sites[0]
    assert status.installed == 1
    assert status.reasons[0] == "1 of 2 required cameras installed"
    assert report.school.cameras_total == 1


def test_scopes_cover_categories_units_and_campus_category_pairs() -> None:
    sm = make_map(
        [
            site("a", "north", "canteen", unit="后勤处"),
            site("b", "south", "canteen", unit="后勤处"),
            site("c", "south", "laboratory", unit="实验室管理处"),
            site("d", "south", "laboratory"),  # no unit
        ],
        [cam("c1", "a"), cam("c2", "b"), cam("c3", "c"), cam("c4", "d")],
    )
    report = compute_coverage(sm, {"c1": UP, "c2": DOWN, "c3": UP, "c4": UP})
    assert list(report.categories) == ["canteen", "laboratory"]
    assert report.categories["canteen"].name == "食堂"
    assert report.categories["canteen"].effective == 0.5
    assert report.categories["laboratory"].effective == 1.0
    assert set(report.units) == {"后勤处", "实验室管理处"}
    assert report.units["后勤处"].sites_total == 2
    assert report.units["后勤处"].online == 0.5
    assert report.units["实验室管理处"].sites_total == 1
    assert report.sites[3].unit is None
    assert set(report.campus_categories) == {
        ("north", "canteen"),
        ("south", "canteen"),
        ("south", "laboratory"),
    }
    pair = report.campus_categories[("south", "laboratory")]
    assert pair.scope_id == "south/laboratory"
    assert (pair.sites_total, pair.cameras_total, pair.install) == (2, 2, 1.0)
    assert report.campus_categories[("south", "canteen")].effective == 0.0


def test_sites_are_reported_in_site_map_order() -> None:
    ids = ["z", "a", "m", "b"]
    sm = make_map([site(i) for i in ids], [])
    report = compute_coverage(sm, {})
    assert [s.id for s in report.sites] == ids
    assert [f.id for f in report.school.sites_failing_install] == ids


# ------------------------------------------------------------------ capabilities


def test_capabilities_are_the_union_of_installed_camera_roles() -> None:
    sm = make_map(
        [site("g", category="gate", requires=[FACE, VEHICLE])],
        [cam("c1", "g", roles=(FACE,)), cam("c2", "g", roles=(VEHICLE,))],
    )
    report = compute_coverage(sm, {"c1": UP, "c2": UP})
    status = report.sites[0]
    assert status.provided == (FACE, VEHICLE)
    assert status.missing == ()
    assert status.install_ok and status.effective_ok
    assert rules(report) == ["storage"]  # no recorded channel given, nothing else


def test_missing_capability_fails_install_only() -> None:
    sm = make_map(
        [site("g", category="gate", requires=[FACE, VEHICLE])],
        [cam("c1", "g", roles=(FACE,)), cam("c2", "g")],
    )
    report = compute_coverage(sm, {"c1": UP, "c2": UP})
    status = report.sites[0]
    assert status.installed == 2 and status.required == 2
    assert status.missing == (VEHICLE,)
    assert not status.install_ok
    assert status.install_reasons == ("missing capability vehicle_checkpoint",)
    # Effective coverage counts intact cameras only (2 ≥ 2), as the design defines it.
    assert status.effective_ok
    assert status.effective_reasons == ()
    assert report.school.install == 0.0
    assert report.school.effective == 1.0
    [failure] = report.school.sites_failing_install
    assert failure.id == "g"
    assert failure.reasons == ("missing capability vehicle_checkpoint",)


def test_capability_whose_only_camera_is_down_still_counts_intact_cameras() -> None:
    sm = make_map(
        [site("lab", category="laboratory", required_cameras=1, requires=[FACE])],
        [cam("c1", "lab", roles=(FACE,)), cam("c2", "lab")],
    )
    report = compute_coverage(sm, {"c1": DOWN, "c2": UP})
    status = report.sites[0]
    assert status.install_ok
    assert status.intact == 1  # enough cameras, though not the one that recognises faces
    assert status.effective_ok
    assert status.effective_reasons == ()


# --------------------------------------------------- required counts and policy


def test_category_default_required_counts() -> None:
    sm = make_map(
        [site("g", category="gate"), site("k", category="canteen")],
        [cam("c1", "g"), cam("c2", "k")],
    )
    report = compute_coverage(sm, {"c1": UP, "c2": UP})
    gate, canteen = report.sites
    assert (gate.required, gate.installed, gate.install_ok) == (2, 1, False)
    assert gate.reasons == (
        "1 of 2 required cameras installed",
        "1 of 2 required cameras intact",
    )
    assert (canteen.required, canteen.installed, canteen.install_ok) == (1, 1, True)
    assert report.school.install == 0.5


def test_site_override_beats_category_override_beats_builtin() -> None:
    sm = make_map(
        [
            site("k1", category="canteen"),  # category override: 2
            site("k2", category="canteen", required_cameras=1),  # site override: 1
            site("g", category="gate", required_cameras=3),  # site override: 3
            site("p", category="parking"),  # declared category: 0
        ],
        [cam("c1", "k1"), cam("c2", "k2"), cam("c3", "g"), cam("c4", "g")],
        categories={"canteen": {"required_cameras": 2}, "parking": {"name": "停车场"}},
    )
    report = compute_coverage(sm, {f"c{i}": UP for i in range(1, 5)})
    required = {s.id: s.required for s in report.sites}
    assert required == {"k1": 2, "k2": 1, "g": 3, "p": 1}
    assert [s.install_ok for s in report.sites] == [False, True, False, False]
    assert report.categories["parking"].name == "停车场"
    assert report.school.install == 0.25


def test_required_zero_site_passes_when_its_capabilities_are_met() -> None:
    sm = make_map(
        [
            site("free", category="track_field", required_cameras=0),
            site("needs", category="track_field", required_cameras=0, requires=[FACE]),
            site("has", category="track_field", required_cameras=0, requires=[FACE]),
        ],
        [cam("c1", "has", roles=(FACE,))],
        categories={"track_field": {"required_cameras": 0}},
    )
    report = compute_coverage(sm, {"c1": UP})
    free, needs, has = report.sites
    assert (free.required, free.installed, free.install_ok, free.effective_ok) == (0, 0, True, True)
    assert free.reasons == ()
    assert (needs.install_ok, needs.effective_ok) == (False, True)
    assert needs.reasons == ("missing capability face_recognition",)
    assert (has.install_ok, has.effective_ok) == (True, True)
    assert report.school.install == pytest.approx(2 / 3)
    assert report.school.effective == 1.0


def test_undeclared_category_needs_one_camera() -> None:
    # The validator refuses unknown categories; the maths still has a defined answer.
    sm = make_map([site("x", category="observatory")], [cam("c1", "x")])
    report = compute_coverage(sm, {"c1": UP})
    assert report.sites[0].required == 1
    assert report.categories["observatory"].name == "observatory"


# --------------------------------------------------------------- camera health


def test_never_probed_camera_is_offline_and_not_intact() -> None:
    sm = make_map([site("a"), site("b")], [cam("c1", "a"), cam("c2", "b")])
    report = compute_coverage(sm, {"c1": UP})  # c2 never probed
    assert report.school.online == 0.5
    assert report.school.intact == 0.5
    assert report.school.cameras_offline_ids == ("c2",)
    assert report.school.cameras_not_intact_ids == ("c2",)
    b = report.sites[1]
    assert (b.online, b.intact, b.effective_ok) == (0, 0, False)
    assert b.install_ok  # installed: configured, whatever its health
    assert b.effective_reasons == ("no intact camera", "c2 never probed")
    assert report.school.effective == 0.5
    assert [f.id for f in report.school.sites_failing_effective] == ["b"]


def test_empty_health_means_nothing_is_online() -> None:
    sm = make_map([site("a")], [cam("c1", "a"), cam("c2", "a")])
    report = compute_coverage(sm, {})
    assert rates(report.school) == (1.0, 0.0, 0.0, None, 0.0)


def test_intact_without_online_is_not_intact() -> None:
    sm = make_map([site("a")], [cam("c1", "a")])
    report = compute_coverage(sm, {"c1": CameraHealth(online=False, intact=True)})
    assert report.school.intact == 0.0
    assert report.sites[0].intact == 0


def test_shifted_camera_is_intact_but_not_effective() -> None:
    sm = make_map([site("a"), site("b")], [cam("c1", "a"), cam("c2", "b")])
    report = compute_coverage(sm, {"c1": SHIFTED, "c2": UP})
    school = report.school
    assert school.intact == 1.0  # equipment intactness ignores the view
    assert school.effective == 0.5  # but the site is not watched as planned
    assert school.cameras_shifted == 1
    assert school.cameras_shifted_ids == ("c1",)
    a = report.sites[0]
    assert (a.online, a.intact, a.effective_ok) == (1, 0, False)
    assert a.effective_reasons == ("no intact camera", "c1 view shifted")


def test_faulty_camera_reason_and_partial_intact_count() -> None:
    sm = make_map(
        [site("g", category="gate")],
        [cam("c1", "g"), cam("c2", "g"), cam("c3", "g")],
    )
    report = compute_coverage(sm, {"c1": UP, "c2": FAULTY, "c3": DOWN})
    g = report.sites[0]
    assert (g.installed, g.online, g.intact) == (3, 2, 1)
    assert g.install_ok
    assert g.effective_reasons == (
        "1 of 2 required cameras intact",
        "c2 not intact (video not fetched or image fault)",
        "c3 offline",
    )


# ------------------------------------------------------------------------ storage


def test_storage_absent_without_storage_figures() -> None:
    sm = make_map([site("a")], [cam("c1", "a")])
    no_channels: dict[str, ChannelStorage] = {}
    for storage in (None, no_channels):
        report = compute_coverage(sm, {"c1": UP}, storage)
        assert report.school.storage is None
        assert report.school.channels_recorded == 0
        assert report.school.expected_seconds == 0.0


def test_storage_rate_is_ratio_of_sums_over_recorded_channels() -> None:
    sm = make_map(
        [site("a", "north"), site("b", "south")],
        [cam("c1", "a"), cam("c2", "a"), cam("c3", "b"), cam("c4", "b")],
    )
    storage = {
        "c1": ChannelStorage(recorded_seconds=27 * DAY, expected_seconds=30 * DAY),
        "c2": ChannelStorage(recorded_seconds=30 * DAY, expected_seconds=30 * DAY),
        "c3": ChannelStorage(recorded_seconds=5 * DAY, expected_seconds=10 * DAY),
        # c4 is not a recorded channel
    }
    report = compute_coverage(sm, dict.fromkeys(("c1", "c2", "c3", "c4"), UP), storage)
    assert report.campuses["north"].storage == pytest.approx(57 / 60)
    assert report.campuses["south"].storage == 0.5
    assert report.campuses["south"].channels_recorded == 1
    # School: (27 + 30 + 5) / (30 + 30 + 10) days — a ratio of sums, not a mean of ratios.
    assert report.school.storage == pytest.approx(62 / 70)
    assert report.school.recorded_seconds == 62 * DAY
    assert report.school.expected_seconds == 70 * DAY
    assert report.school.channels_recorded == 3


def test_storage_of_a_camera_in_two_campuses_counts_once_per_scope() -> None:
    sm = make_map([site("a", "north"), site("b", "south")], [cam("c1", "a", "b")])
    report = compute_coverage(sm, {"c1": UP}, {"c1": ChannelStorage(8.0, 10.0)})
    for scope in (report.school, report.campuses["north"], report.campuses["south"]):
        assert (scope.recorded_seconds, scope.expected_seconds, scope.storage) == (8.0, 10.0, 0.8)


def test_storage_clamps_each_channel_to_its_expected_seconds() -> None:
    sm = make_map([site("a")], [cam("c1", "a"), cam("c2", "a")])
    storage = {"c1": ChannelStorage(150.0, 100.0), "c2": ChannelStorage(50.0, 100.0)}
    report = compute_coverage(sm, {}, storage)
    # Without the clamp c1's excess would hide c2's gap: 200/200.
    assert report.school.storage == 0.75


def test_storage_with_zero_expected_seconds_is_absent() -> None:
    sm = make_map([site("a")], [cam("c1", "a")])
    report = compute_coverage(sm, {"c1": UP}, {"c1": ChannelStorage(0.0, 0.0)})
    assert report.school.channels_recorded == 1
    assert report.school.storage is None


# -------------------------------------------------------------------------- score


def healthy_map(
    **extra: Any,
) -> tuple[SiteMap, dict[str, CameraHealth], dict[str, ChannelStorage]]:
    """A school that meets every target: one gate with both capabilities, one canteen."""
    gate, gate_cams = gate_ok()
    sm = make_map([gate, site("k")], [*gate_cams, cam("k-1", "k")], **extra)
    ids = [c.id for c in sm.cameras]
    return sm, dict.fromkeys(ids, UP), {cid: ChannelStorage(DAY, DAY) for cid in ids}


def test_full_score_without_deductions() -> None:
    sm, health, storage = healthy_map()
    report = compute_coverage(sm, health, storage)
    assert rates(report.school) == (1.0, 1.0, 1.0, 1.0, 1.0)
    assert report.score.value == 10
    assert report.score.deductions == ()


def test_install_deduction_alone() -> None:
    sm, health, storage = healthy_map()
    sm = make_map(
        [s.model_dump(exclude_none=True) for s in sm.sites] + [site("lab", category="laboratory")],
        [c.model_dump(exclude_none=True) for c in sm.cameras],
    )
    report = compute_coverage(sm, health, storage)
    assert report.school.install == pytest.approx(2 / 3)
    assert rules(report) == ["install"]
    [d] = report.score.deductions
    assert d.points == 2
    assert "install rate 66.67% (2/3 sites) below target 100%" in d.reason
    assert report.score.value == 8


def test_intact_deduction_alone() -> None:
    sm, health, storage = healthy_map()
    health["k-1"] = FAULTY  # 2 of 3 intact; the canteen is still installed
    report = compute_coverage(sm, health, storage)
    assert rules(report) == ["intact"]
    assert "intact rate 66.67% (2/3 cameras) below target 95%" in report.score.deductions[0].reason
    assert report.score.value == 8


def test_storage_deduction_alone() -> None:
    sm, health, storage = healthy_map()
    storage["k-1"] = ChannelStorage(0.0, DAY)
    report = compute_coverage(sm, health, storage)
    assert report.school.storage == pytest.approx(2 / 3)
    assert rules(report) == ["storage"]
    assert report.score.deductions[0].reason.startswith("storage rate 66.67%")
    assert report.score.value == 8


def test_gate_deduction_alone() -> None:
    sm = make_map(
        [site("g", category="gate")],
        [cam("c1", "g", roles=(FACE,)), cam("c2", "g")],
    )
    storage = {"c1": ChannelStorage(DAY, DAY), "c2": ChannelStorage(DAY, DAY)}
    report = compute_coverage(sm, {"c1": UP, "c2": UP}, storage)
    assert report.school.install == 1.0  # the gate requires nothing itself...
    assert rules(report) == ["gate_capabilities"]  # ...but the score rule does
    [d] = report.score.deductions
    assert d.points == 3
    assert "g lacks vehicle_checkpoint" in d.reason
    assert report.score.value == 7


def test_gate_rule_looks_at_installed_cameras_not_their_health() -> None:
    sm, health, storage = healthy_map()
    health["gate-1-lpr"] = DOWN
    report = compute_coverage(sm, health, storage)
    assert "gate_capabilities" not in rules(report)
    assert "intact" in rules(report)


def test_gate_rule_checks_every_gate_and_only_gates() -> None:
    gate, gate_cams = gate_ok()
    sm = make_map(
        [gate, site("g2", "south", "gate"), site("k", requires=[FACE])],
        [*gate_cams, cam("g2-a", "g2", roles=(FACE, VEHICLE)), cam("g2-b", "g2"), cam("k1", "k")],
    )
    report = compute_coverage(sm, {})
    assert "gate_capabilities" not in rules(report)  # the canteen's missing face is install's
    assert "install" in rules(report)


def test_no_gate_site_counts_as_gate_rule_not_met() -> None:
    sm = make_map([site("k")], [cam("c1", "k")])
    report = compute_coverage(sm, {"c1": UP}, {"c1": ChannelStorage(DAY, DAY)})
    assert rules(report) == ["gate_capabilities"]
    assert "no gate site" in report.score.deductions[0].reason
    assert report.score.value == 7


def test_all_deductions_combined() -> None:
    sm = make_map(
        [site("g", category="gate"), site("k")],
        [cam("c1", "g"), cam("c2", "k")],
    )
    report = compute_coverage(sm, {"c1": UP, "c2": DOWN}, {"c1": ChannelStorage(1.0, 2.0)})
    assert rules(report) == ["install", "intact", "storage", "gate_capabilities"]
    assert [d.points for d in report.score.deductions] == [2, 2, 2, 3]
    assert report.score.value == 1


def test_absent_rates_count_as_not_met() -> None:
    report = compute_coverage(make_map([], []), {})
    assert rules(report) == ["install", "intact", "storage", "gate_capabilities"]
    reasons = [d.reason for d in report.score.deductions]
    assert "install rate absent" in reasons[0]
    assert "intact rate absent" in reasons[1]
    assert "storage rate absent" in reasons[2]
    assert report.score.value == 1


def test_absent_storage_alone_is_deducted() -> None:
    sm, health, _ = healthy_map()
    report = compute_coverage(sm, health)
    assert report.school.storage is None
    assert rules(report) == ["storage"]
    assert report.score.value == 8


def test_score_never_below_zero() -> None:
    report = compute_coverage(make_map([], []), {})
    score = compute_score(report.school, report.sites, report.targets, maximum=5)
    assert sum(d.points for d in score.deductions) == 9
    assert score.value == 0
    assert score.maximum == 5


def test_rate_exactly_at_target_is_met() -> None:
    # 19 of 20 cameras intact = 0.95 exactly; storage 0.95 of each of 3 channels
    # sums to a float a few ulps below 0.95 * total.
    gate, gate_cams = gate_ok()
    cams = [*gate_cams, *(cam(f"k{i}", "k") for i in range(18))]
    sm = make_map([gate, site("k")], cams)
    health = {c["id"]: UP for c in cams}
    health["k0"] = FAULTY
    expected = 30 * DAY
    storage = {
        c["id"]: ChannelStorage(0.95 * expected + 0.1 * i, expected + 0.1 * i)
        for i, c in enumerate(cams[:3])
    }
    report = compute_coverage(sm, health, storage)
    assert report.school.intact == 0.95
    assert report.school.storage == pytest.approx(0.95, abs=1e-6)
    assert report.score.deductions == ()


def test_targets_come_from_the_site_map() -> None:
    sm, health, storage = healthy_map(targets={"install": 0.5, "intact": 0.5, "storage": 0.5})
    health["k-1"] = DOWN
    storage["k-1"] = ChannelStorage(0.0, DAY)
    report = compute_coverage(sm, health, storage)
    assert report.targets.intact == 0.5
    assert report.school.intact == pytest.approx(2 / 3)
    assert report.score.value == 10


# -------------------------------------------------------------------------- JSON


def sample_report() -> CoverageReport:
    gate, gate_cams = gate_ok("north-gate")
    sm = make_map(
        [
            gate,
            site("north-canteen", "north", "canteen", unit="后勤处"),
            site("south-lab", "south", "laboratory", requires=[FACE]),
        ],
        [*gate_cams, cam("cant-1", "north-canteen"), cam("lab-1", "south-lab")],
        campuses=("north", "south", "east"),
    )
    health = {"north-gate-face": UP, "north-gate-lpr": SHIFTED, "cant-1": DOWN}
    storage = {"north-gate-face": ChannelStorage(DAY, DAY), "cant-1": ChannelStorage(0.0, DAY)}
    return compute_coverage(sm, health, storage)


def test_json_has_the_contract_shape_and_is_serialisable() -> None:
    report = sample_report()
    data = coverage_to_json(report)
    text = json.dumps(data, ensure_ascii=False)
    assert json.loads(text) == data

    assert {"school", "campuses", "categories", "sites", "score", "units"} <= set(data)
    for key in ("install", "online", "intact", "storage", "effective"):
        assert key in data["school"]
    assert set(data["campuses"]) == {"north", "south", "east"}
    assert set(data["categories"]) == {"gate", "canteen", "laboratory"}
    assert set(data["units"]) == {"后勤处"}
    assert data["campus_categories"]["north"]["gate"]["install"] == 1.0

    school = data["school"]
    assert school["install"] == pytest.approx(2 / 3)  # south-lab lacks face recognition
    assert school["online"] == pytest.approx(2 / 4)
    assert school["intact"] == pytest.approx(2 / 4)
    assert school["storage"] == 0.5
    assert school["effective"] == 0.0  # gate: 1 of 2; canteen and lab: none intact
    assert school["targets"] == {"install": 1.0, "intact": 0.95, "storage": 0.95}
    assert school["met"] == {"install": False, "intact": False, "storage": False}
    assert school["sites_total"] == 3
    assert school["cameras_total"] == 4
    assert school["cameras_offline_ids"] == ["cant-1", "lab-1"]
    assert school["cameras_shifted_ids"] == ["north-gate-lpr"]
    assert school["sites_failing_install"] == [
        {"id": "south-lab", "reasons": ["missing capability face_recognition"]}
    ]
    assert [f["id"] for f in school["sites_failing_effective"]] == [
        "north-gate",
        "north-canteen",
        "south-lab",
    ]

    sites = data["sites"]
    assert [s["id"] for s in sites] == ["north-gate", "north-canteen", "south-lab"]
    assert {"id", "required", "installed", "intact"} <= set(sites[0])
    assert (sites[0]["required"], sites[0]["installed"], sites[0]["intact"]) == (2, 2, 1)
    assert sites[0]["reasons"] == ["1 of 2 required cameras intact", "north-gate-lpr view shifted"]
    assert sites[2]["missing"] == [FACE]

    score = data["score"]
    assert score["value"] == 4
    assert [d["rule"] for d in score["deductions"]] == ["install", "intact", "storage"]
    assert all(set(d) == {"rule", "points", "reason"} for d in score["deductions"])


def test_json_absent_rates_are_null() -> None:
    data = coverage_to_json(sample_report())
    east = data["campuses"]["east"]
    assert [east[k] for k in ("install", "online", "intact", "storage", "effective")] == [None] * 5
    assert east["met"] == {"install": None, "intact": None, "storage": None}
    assert '"storage": null' in json.dumps(data["campuses"]["east"])
    assert data["campuses"]["south"]["storage"] is None  # lab-1 is not a recorded channel


def test_json_of_an_empty_school() -> None:
    data = coverage_to_json(compute_coverage(make_map([], []), {}))
    json.dumps(data)
    assert data["school"]["install"] is None
    assert data["sites"] == []
    assert data["categories"] == {}
    assert data["score"]["value"] == 1


# ------------------------------------------------------------------- table / CSV


def test_table_shows_scopes_targets_marks_failures_and_score() -> None:
    text = coverage_table(sample_report())
    assert "\033[" not in text
    lines = text.splitlines()
    assert any(line.startswith("school Example University") for line in lines)
    for label in ("campus north", "campus east", "category gate 校门", "unit 后勤处"):
        assert any(line.startswith(label) for line in lines), label
    school_row = next(line for line in lines if line.startswith("school"))
    assert "66.7%/100% ✗" in school_row
    assert "50.0%/95% ✗" in school_row
    east_row = next(line for line in lines if line.startswith("campus east"))
    assert "—" in east_row and "✗" not in east_row
    gate_row = next(line for line in lines if line.startswith("category gate"))
    assert "100.0%/100% ✓" in gate_row
    assert "Failing sites: 3 of 3" in text
    assert "south-lab (site south-lab) [south, laboratory] install ✗" in text
    assert "missing capability face_recognition" in text
    assert "Cameras offline: 2 — cant-1, lab-1" in text
    assert "Score: 4 / 10" in text
    assert "−2 install:" in text and "−2 storage:" in text


def test_table_aligns_wide_characters() -> None:
    text = coverage_table(sample_report())
    rows = [line for line in text.splitlines() if line.startswith(("campus ", "unit "))]
    ends = {len(r) + sum(1 for ch in r if "\u4e00" <= ch <= "\u9fff") for r in rows}
    assert len(ends) == 1  # every row ends in the same display column


def test_table_never_rounds_a_miss_up_to_the_target() -> None:
    sm = make_map([site("a")], [cam(f"c{i}", "a") for i in range(2000)])
    health = {f"c{i}": UP for i in range(1, 2000)}  # 1999/2000 = 99.95 %
    text = coverage_table(compute_coverage(sm, health))
    row = next(line for line in text.splitlines() if line.startswith("school"))
    assert "100.0%/100% ✓" in row  # install
    assert "99.9%" in row  # online: never shown as 100.0 %
    # 0.9496 rounds to 95.0 % but misses the 95 % target: shown truncated.
    health = {f"c{i}": UP if i >= 101 else FAULTY for i in range(2000)}  # 1899/2000
    text = coverage_table(compute_coverage(sm, health))
    row = next(line for line in text.splitlines() if line.startswith("school"))
    assert "94.9%/95% ✗" in row


def test_table_color_marks() -> None:
    text = coverage_table(sample_report(), color=True)
    assert "\033[31m✗\033[0m" in text
    assert "\033[32m✓\033[0m" in text


def test_table_of_an_empty_school() -> None:
    text = coverage_table(compute_coverage(make_map([], []), {}))
    assert "Failing sites: 0 of 0" in text
    assert "Score: 1 / 10" in text


def test_csv_has_one_row_per_scope() -> None:
    report = sample_report()
    rows = list(csv.DictReader(io.StringIO(coverage_csv(report))))
    expected_rows = (
        1
        + len(report.campuses)
        + len(report.categories)
        + len(report.units)
        + len(report.campus_categories)
    )
    assert len(rows) == expected_rows == 1 + 3 + 3 + 1 + 3
    school = rows[0]
    assert (school["scope_type"], school["scope_id"]) == ("school", "")
    assert float(school["install"]) == pytest.approx(2 / 3)
    assert float(school["storage"]) == 0.5
    assert school["cameras_total"] == "4"
    assert school["sites_total"] == "3"
    east = next(r for r in rows if r["scope_type"] == "campus" and r["scope_id"] == "east")
    assert east["install"] == "" and east["storage"] == ""
    assert east["sites_total"] == "0"
    kinds = {r["scope_type"] for r in rows}
    assert kinds == {"school", "campus", "category", "unit", "campus_category"}
    assert any(r["scope_id"] == "north/gate" for r in rows)


# -------------------------------------------------------------------- performance


def test_large_school_counts_every_camera_and_site() -> None:
    n_sites, n_cams = 3000, 10000
    categories = ["gate", "canteen", "laboratory", "library", "dormitory"]
    sites = [
        site(f"s{i}", ("north", "south")[i % 2], categories[i % 5], unit=f"u{i % 7}")
        for i in range(n_sites)
    ]
    cams = [
        cam(f"c{i}", f"s{i % n_sites}", *([f"s{(i * 7) % n_sites}"] if i % 10 == 0 else []))
        for i in range(n_cams)
    ]
    sm = make_map(sites, cams)
    health = {f"c{i}": (UP, UP, UP, FAULTY, DOWN, SHIFTED)[i % 6] for i in range(n_cams)}
    storage = {f"c{i}": ChannelStorage(90.0, 100.0) for i in range(0, n_cams, 2)}
    report = compute_coverage(sm, health, storage)
    assert report.school.cameras_total == n_cams
    assert report.school.sites_total == n_sites
    assert report.school.storage == pytest.approx(0.9)
    scopes = [report.school, *report.campuses.values(), *report.categories.values()]
    for scope in [*scopes, *report.units.values(), *report.campus_categories.values()]:
        assert scope.install is not None and scope.effective is not None


def test_worked_example_of_the_docs() -> None:
    """The example in docs/coverage.md, number for number."""
    sm = make_map(
        [
            site("north-gate", "north", "gate", requires=[FACE, VEHICLE], unit="保卫处"),
            site("north-canteen", "north", "canteen", unit="后勤处"),
            site("north-lab", "north", "laboratory"),
            site("south-gate", "south", "gate", unit="保卫处"),
            site("south-library", "south", "library"),
        ],
        [
            cam("cam-01", "north-gate", roles=(FACE,)),
            cam("cam-02", "north-gate", roles=(VEHICLE,)),
            cam("cam-03", "north-canteen"),
            cam("cam-04", "north-lab"),
            cam("cam-05", "south-gate", roles=(FACE,)),
            cam("cam-06", "south-gate", "south-library"),
            cam("cam-07", "south-library"),
        ],
    )
    health = {
        "cam-01": UP,
        "cam-02": UP,
        "cam-03": FAULTY,
        "cam-04": DOWN,
        "cam-05": UP,
        "cam-06": SHIFTED,
    }
    storage = {
        "cam-01": ChannelStorage(30 * DAY, 30 * DAY),
        "cam-02": ChannelStorage(29 * DAY, 30 * DAY),
        "cam-03": ChannelStorage(30 * DAY, 30 * DAY),
        "cam-05": ChannelStorage(24 * DAY, 30 * DAY),
    }
    report = compute_coverage(sm, health, storage)
    assert rates(report.school) == pytest.approx((1.0, 5 / 7, 4 / 7, 113 / 120, 1 / 5))
    assert rates(report.campuses["north"]) == pytest.approx((1.0, 3 / 4, 2 / 4, 89 / 90, 1 / 3))
    assert rates(report.campuses["south"]) == pytest.approx((1.0, 2 / 3, 2 / 3, 24 / 30, 0.0))
    assert rates(report.categories["gate"]) == pytest.approx((1.0, 1.0, 1.0, 83 / 90, 0.5))
    assert report.categories["laboratory"].storage is None
    assert [(s.id, s.installed, s.intact) for s in report.sites] == [
        ("north-gate", 2, 2),
        ("north-canteen", 1, 0),
        ("north-lab", 1, 0),
        ("south-gate", 2, 1),
        ("south-library", 2, 0),
    ]
    assert rules(report) == ["intact", "storage", "gate_capabilities"]
    assert report.score.value == 3
    assert "south-gate lacks vehicle_checkpoint" in report.score.deductions[2].reason
