"""Hysteresis: first probe sets the state; N failures to go offline, M successes to return."""

from __future__ import annotations

from monitor.probing.result import ProbeResult, Reason, Stage, StageResult
from monitor.state import CameraState, Hysteresis, advance


def probe(at: float, ok: bool = True, video: bool = True) -> ProbeResult:
    stages = [StageResult(Stage.TCP, True, 0.01)]
    if ok:
        stages.append(StageResult(Stage.ONVIF, True, 0.02))
        stages.append(
            StageResult(Stage.VIDEO, True, 0.03)
            if video
            else StageResult(Stage.VIDEO, False, 0.03, Reason.NO_VIDEO, "HTTP 500")
        )
    else:
        stages.append(StageResult(Stage.ONVIF, False, 2.0, Reason.TIMEOUT, "no answer"))
    return ProbeResult(target="cam", started_at=at, stages=tuple(stages))


def fold(results: list[ProbeResult], policy: Hysteresis | None = None):
    policy = policy or Hysteresis()
    state: CameraState | None = None
    transitions = []
    for result in results:
        state, transition = advance(state, result, policy)
        if transition is not None:
            transitions.append(transition)
    return state, transitions


def test_first_probe_sets_state_directly_both_ways():
    up, [t] = fold([probe(0)])
    assert up.online and t.online and t.at == 0
    down, [t] = fold([probe(0, ok=False)])
    assert not down.online and not t.online
    assert (t.stage, t.reason) == (Stage.ONVIF, Reason.TIMEOUT)


def test_goes_offline_after_three_consecutive_failures_only():
    state, transitions = fold([probe(0), probe(60, False), probe(120, False)])
    assert state.online and len(transitions) == 1
    state, transitions = fold([probe(0), probe(60, False), probe(120, False), probe(180, False)])
    assert not state.online
    assert transitions[-1].at == 180 and transitions[-1].reason is Reason.TIMEOUT
    assert state.since == 180


def test_a_success_resets_the_failure_count():
    results = [
        probe(0),
        probe(1, False),
        probe(2, False),
        probe(3),
        probe(4, False),
        probe(5, False),
    ]
    state, transitions = fold(results)
    assert state.online and len(transitions) == 1


def test_comes_back_after_two_consecutive_successes():
    down = [probe(0, False)]
    state, transitions = fold([*down, probe(60)])
    assert not state.online
    state, transitions = fold([*down, probe(60), probe(120)])
    assert state.online and transitions[-1].online and transitions[-1].at == 120
    assert transitions[-1].stage is None and transitions[-1].reason is None


def test_custom_thresholds():
    policy = Hysteresis(down_after=1, up_after=1)
    state, transitions = fold([probe(0), probe(1, False), probe(2)], policy)
    assert state.online and [t.online for t in transitions] == [True, False, True]


def test_intact_needs_online_and_video():
    state, _ = fold([probe(0, video=False)])
    assert state.online and not state.intact
    state, _ = fold([probe(0)])
    assert state.intact
    # Still online through hysteresis, but the last probe failed: not intact.
    state, _ = fold([probe(0), probe(60, False)])
    assert state.online and not state.intact
