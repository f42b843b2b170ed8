"""The camera poller: every camera probed once per cycle, state folded, stored, published."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from monitor.config import PollSettings
from monitor.polling.snapshot import MonitorSnapshot
from monitor.probing.camera import probe_camera
from monitor.probing.registry import prepare_probers
from monitor.probing.result import ProbeResult
from monitor.probing.target import DeviceSession, Target
from monitor.quality.thresholds import QualityConfig, thresholds_for
from monitor.recordings.snapshot import RecordingSnapshot
from monitor.state import (
    CameraState,
    Hysteresis,
    IdentityChange,
    Transition,
    advance,
    identity_changes,
    intact_change,
)
from monitor.storage.store import Reference, Store
from monitor.topology.causes import Topology
from site_map.loader import LoadedSiteMap

log = logging.getLogger("tianyan.poller")

ProgressCallback = Callable[[int, int], None]
FLAP_WINDOW_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class CycleOutcome:
    started_at: float
    finished_at: float
    probes: int
    failed: int
    transitions: tuple[Transition, ...]


def build_targets(loaded: LoadedSiteMap) -> list[Target]:
    """One target per camera, passwords resolved once per credential."""
    passwords: dict[str, str] = {}
    targets = []
    for camera in loaded.site_map.cameras:
        cred_id = camera.onvif.credentials
        if cred_id not in passwords:
            passwords[cred_id] = loaded.password(cred_id)
        credential = loaded.site_map.credentials[cred_id]
        targets.append(
            Target(
                id=camera.id,
                host=camera.onvif.host,
                port=camera.onvif.port,
                username=credential.username,
                password=passwords[cred_id],
            )
        )
    return targets


class Poller:
    def __init__(
        self,
        loaded: LoadedSiteMap,
        store: Store,
        settings: PollSettings,
        *,
        progress: ProgressCallback | None = None,
        quality: QualityConfig | None = None,
        recordings: Callable[[], RecordingSnapshot] | None = None,
    ) -> None:
        self.loaded = loaded
        self.store = store
        self.settings = settings
        self.progress = progress
        self.topology = Topology.of(loaded.site_map)
        # The storage poller's latest picture (the storage rate comes from it).
        self.recordings = recordings
        self.hysteresis = Hysteresis(settings.down_after, settings.up_after)
        self.sessions = {t.id: DeviceSession(t) for t in build_targets(loaded)}
        self._configure_quality(quality or QualityConfig())
        self.states: dict[str, CameraState] = store.load_states()
        self.identity_counts, self.transition_counts = store.event_counts()
        self.cycles = 0
        self._unsaved_transitions: list[Transition] = []
        self._unsaved_changes: list[IdentityChange] = []
        self._unsaved_intact: list[Transition] = []
        # Cameras whose intact status is on record: the others' next probe records
        # it (a database from before intact changes were kept, or a new camera).
        self._intact_recorded = store.intact_cameras()
        self._prepared = False
        now = time.time()
        self.recent_changes: dict[str, deque[float]] = defaultdict(deque)
        for t in store.transitions(since=now - FLAP_WINDOW_SECONDS):
            self.recent_changes[t.camera].append(t.at)
        for camera, times in self.recent_changes.items():
            # A camera's first-ever transition is the start of its monitoring.
            if len(times) == self.transition_counts.get(camera, 0):
                times.popleft()
        self._references_checked_at = now
        self._apply_references(store.references())
        last = store.last_cycle()
        self._snapshot = self._build_snapshot(
            last.started_at if last else None, last.finished_at if last else None, now
        )

    @property
    def snapshot(self) -> MonitorSnapshot:
        return self._snapshot

    def _slowest_first(self) -> list[DeviceSession]:
        """Cameras that took longest last time go first.

        A hanging camera costs its whole deadline; started last, it would
        stretch the cycle by that deadline. Started first, its wait overlaps
        the probes of everything else.
        """

        def last_seconds(session: DeviceSession) -> float:
            state = self.states.get(session.target.id)
            return state.last_probe.seconds if state and state.last_probe else 0.0

        return sorted(self.sessions.values(), key=last_seconds, reverse=True)

    async def _probe_all(self) -> list[ProbeResult]:
        if not self._prepared:
            await prepare_probers()
            self._prepared = True
        queue: asyncio.Queue[DeviceSession] = asyncio.Queue()
        for session in self._slowest_first():
            queue.put_nowait(session)
        total = queue.qsize()
        results: list[ProbeResult] = []

        async def worker() -> None:
            while True:
                try:
                    session = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                results.append(await probe_camera(session, self.settings.timeout_seconds))
                if self.progress is not None:
                    self.progress(len(results), total)

        workers = min(self.settings.concurrency, total) or 1
        await asyncio.gather(*(worker() for _ in range(workers)))
        return results

    async def run_cycle(self) -> CycleOutcome:
        started = time.time()
        results = await self._probe_all()
        transitions: list[Transition] = []
        changes: list[IdentityChange] = []
        intact_changes: list[Transition] = []
        changed: list[CameraState] = []
        for probe in results:
            previous = self.states.get(probe.target)
            for change in identity_changes(previous, probe):
                changes.append(change)
                self.identity_counts[(change.camera, change.field)] = (
                    self.identity_counts.get((change.camera, change.field), 0) + 1
                )
                log.warning(
                    "camera identity changed camera=%s field=%s old=%s new=%s",
                    change.camera,
                    change.field,
                    change.old,
                    change.new,
                )
            state, transition = advance(previous, probe, self.hysteresis)
            self.states[probe.target] = state
            known = previous if probe.target in self._intact_recorded else None
            if (intact := intact_change(known, state)) is not None:
                intact_changes.append(intact)
                self._intact_recorded.add(probe.target)
            changed.append(state)
            if transition is not None:
                transitions.append(transition)
                self.transition_counts[transition.camera] = (
                    self.transition_counts.get(transition.camera, 0) + 1
                )
                if previous is not None:  # a first probe is a start, not a change
                    self.recent_changes[transition.camera].append(transition.at)
                    self._log_transition(transition)
        finished = time.time()
        await self._save(started, finished, changed, transitions, changes, intact_changes)
        self.cycles += 1
        self._snapshot = self._build_snapshot(started, finished, finished)
        failed = sum(1 for r in results if not r.ok)
        log.info(
            "poll cycle done cameras=%d failed=%d transitions=%d seconds=%.2f",
            len(results),
            failed,
            len(transitions),
            finished - started,
        )
        return CycleOutcome(started, finished, len(results), failed, tuple(transitions))

    def _configure_quality(self, config: QualityConfig) -> None:
        """Per-camera thresholds (config < category < camera) and sampling."""
        sites = self.loaded.site_map.site_by_id()
        for camera in self.loaded.site_map.cameras:
            primary = sites.get(camera.sites[0]) if camera.sites else None
            state = self.sessions[camera.id].quality
            state.thresholds = thresholds_for(
                config, camera.id, primary.category if primary else None
            )
            state.enabled = config.enabled
            state.sample_every = config.sample_every
            state.frozen_after_seconds = config.frozen_after_seconds

    def _apply_references(self, references: Mapping[str, Reference]) -> None:
        for camera, reference in references.items():
            session = self.sessions.get(camera)
            if session is None:
                continue
            pixels = np.frombuffer(reference.pixels, dtype=np.uint8)
            session.quality.reference = pixels.reshape(reference.height, reference.width)
            session.quality.reference_is_new = False
            session.quality.reference_taken_at = reference.taken_at

    def _sync_references(self, now: float) -> None:
        """Store the reference views first taken this cycle; load those accepted meanwhile.

        Runs in the storage thread. `tianyan reference accept` writes to the
        database; a running monitor picks the new view up here.
        """
        for session in self.sessions.values():
            quality = session.quality
            if quality.reference_is_new and quality.reference is not None:
                height, width = quality.reference.shape
                self.store.save_reference(
                    Reference(
                        session.target.id,
                        quality.reference_taken_at,
                        now,
                        "first",
                        int(height),
                        int(width),
                        quality.reference.tobytes(),
                    ),
                    replace=False,
                )
                quality.reference_is_new = False
        changed = self.store.references(changed_since=self._references_checked_at)
        self._references_checked_at = now
        self._apply_references(changed)

    def _build_snapshot(
        self, started: float | None, finished: float | None, now: float
    ) -> MonitorSnapshot:
        cutoff = now - FLAP_WINDOW_SECONDS
        for times in self.recent_changes.values():
            while times and times[0] < cutoff:
                times.popleft()
        return MonitorSnapshot.build(
            self.loaded.site_map,
            self.states,
            cycle_started_at=started,
            cycle_finished_at=finished,
            cycles_completed=self.cycles,
            identity_changes=self.identity_counts,
            transitions=self.transition_counts,
            changes_last_hour={c: len(t) for c, t in self.recent_changes.items() if t},
            references={
                camera: session.quality.reference_taken_at
                for camera, session in self.sessions.items()
                if session.quality.reference is not None
            },
            recordings=self.recordings() if self.recordings is not None else None,
            topology=self.topology,
            poll_interval_seconds=self.settings.interval_seconds,
        )

    def refresh_snapshot(self) -> None:
        """Rebuild the snapshot with the same camera states (after a storage pass)."""
        old = self._snapshot
        self._snapshot = self._build_snapshot(
            old.cycle_started_at, old.cycle_finished_at, time.time()
        )

    async def _save(
        self,
        started: float,
        finished: float,
        states: list[CameraState],
        transitions: list[Transition],
        changes: list[IdentityChange],
        intact_changes: list[Transition],
    ) -> None:
        """Store the cycle; if the database is away, keep its transitions for the next try.

        Metrics stay live while the database is down, and no outage is lost
        from the history once it is back.
        """
        pending = [*self._unsaved_transitions, *transitions]
        pending_changes = [*self._unsaved_changes, *changes]
        pending_intact = [*self._unsaved_intact, *intact_changes]
        try:
            await asyncio.to_thread(
                self.store.save_cycle,
                started_at=started,
                finished_at=finished,
                states=states,
                transitions=pending,
                identity_changes=pending_changes,
                intact_changes=pending_intact,
            )
            await asyncio.to_thread(self._sync_references, finished)
        except Exception as exc:
            self._unsaved_transitions = pending
            self._unsaved_changes = pending_changes
            self._unsaved_intact = pending_intact
            log.error(
                "storing the poll cycle failed; %d transitions kept for the next cycle: %s",
                len(pending),
                type(exc).__name__,
            )
        else:
            self._unsaved_transitions = []
            self._unsaved_changes = []
            self._unsaved_intact = []

    async def run_forever(
        self, stop: asyncio.Event, on_cycle: Callable[[CycleOutcome], None] | None = None
    ) -> None:
        while not stop.is_set():
            began = time.monotonic()
            try:
                outcome = await self.run_cycle()
                if on_cycle is not None:
                    on_cycle(outcome)
            except Exception:
                # A storage hiccup must not stop the monitoring; the next cycle retries.
                log.exception("poll cycle failed")
            wait = max(0.0, self.settings.interval_seconds - (time.monotonic() - began))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)

    async def close(self) -> None:
        await asyncio.gather(*(s.reset() for s in self.sessions.values()))

    @staticmethod
    def _log_transition(transition: Transition) -> None:
        if transition.online:
            log.info("camera online camera=%s", transition.camera)
        else:
            log.warning(
                "camera offline camera=%s stage=%s reason=%s",
                transition.camera,
                transition.stage.value if transition.stage else "-",
                transition.reason.value if transition.reason else "-",
            )
