"""Stage `video`: one snapshot can be fetched and decoded.

The snapshot is fetched by the monitor itself rather than the ONVIF client's
helper so that the probe's deadline and a size cap apply: a device that
streams an endless body must not exhaust memory. It is fetched from the
configured host and port whatever host the snapshot URI names, and a
redirect is never followed.
"""

from __future__ import annotations

import aiohttp
import zeep.exceptions
from onvif.util import normalize_url

from monitor.probing import answers
from monitor.probing.deadline import Deadline
from monitor.probing.errors import StageFailure, describe
from monitor.probing.onvif import call
from monitor.probing.result import Reason
from monitor.probing.target import DeviceSession, ProbeWork
from monitor.probing.transport import pinned_url, read_limited, too_large
from monitor.quality import workers
from monitor.quality.decode import decode, looks_complete

MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024


async def _snapshot_uri(session: DeviceSession) -> str:
    if session.snapshot_uri is None:
        camera, token = session.camera, session.profile_token
        if camera is None or token is None:
            raise StageFailure(Reason.NO_VIDEO, "no media profile known for this device")
        try:
            media = await camera.create_media_service()
            answer = await call(lambda: media.GetSnapshotUri({"ProfileToken": token}))
            given = answers.snapshot_uri(answer)
        except StageFailure as failure:
            raise StageFailure(
                Reason.NO_VIDEO, f"GetSnapshotUri failed: {failure.detail}"
            ) from None
        except zeep.exceptions.Fault as fault:
            raise StageFailure(
                Reason.NO_VIDEO, f"GetSnapshotUri refused: {describe(fault)}"
            ) from None
        uri = camera.rewrite_url(normalize_url(given)) if given else None
        if not uri:
            raise StageFailure(Reason.NO_VIDEO, "the device gives no snapshot URI")
        session.snapshot_uri = uri
    return session.snapshot_uri


async def _fetch(session: DeviceSession, uri: str, deadline: Deadline) -> bytes:
    assert session.camera is not None
    target = session.target
    if session.digest is None:
        # Kept per device: a preemptive middleware reuses the last challenge,
        # saving the 401 round trip on every later cycle.
        session.digest = aiohttp.DigestAuthMiddleware(target.username, target.password)
    # Reuse the ONVIF client's snapshot connection pool (one per device).
    http = session.camera._snapshot_client
    try:
        async with http.get(
            pinned_url(uri, target.address),
            middlewares=(session.digest,),
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=deadline.remaining()),
        ) as response:
            if response.status in (401, 403):
                raise StageFailure(
                    Reason.NO_VIDEO, f"snapshot refused the credentials (HTTP {response.status})"
                )
            if 300 <= response.status < 400:
                raise StageFailure(
                    Reason.NO_VIDEO,
                    f"snapshot answered HTTP {response.status} (a redirect, not followed)",
                )
            if response.status >= 300:
                raise StageFailure(Reason.NO_VIDEO, f"snapshot answered HTTP {response.status}")
            body = await read_limited(response, MAX_SNAPSHOT_BYTES)
            if body is None:
                raise StageFailure(
                    Reason.VIDEO_FAULT,
                    too_large("the snapshot", MAX_SNAPSHOT_BYTES, response.content_length),
                )
            return body
    except StageFailure:
        raise
    except aiohttp.ClientConnectorError as exc:
        raise StageFailure(Reason.NO_VIDEO, f"snapshot unreachable: {describe(exc)}") from None
    except (aiohttp.ClientError, ConnectionError) as exc:
        # Accepted, then dropped or reset mid-answer, or an answer aiohttp cannot read.
        raise StageFailure(Reason.NO_VIDEO, f"snapshot failed: {describe(exc)}") from None


async def probe(session: DeviceSession, work: ProbeWork, deadline: Deadline) -> None:
    async with deadline.enforce():
        uri = await _snapshot_uri(session)
        data = await _fetch(session, uri, deadline)
    if not data:
        raise StageFailure(Reason.NO_VIDEO, "snapshot is empty")
    work.image = data
    work.measures["snapshot_bytes"] = float(len(data))
    if not session.quality.due() and looks_complete(data):
        # No analysis this cycle: a whole JPEG is enough to call the video good.
        return
    # Reduced-resolution decoding (libjpeg's DCT scaling): the quality measures
    # need a few hundred pixels across, at a fraction of a full decode's cost.
    frame = await workers.run(decode, data)
    if frame is None or frame.size == 0:
        raise StageFailure(Reason.VIDEO_FAULT, f"snapshot of {len(data)} bytes is not an image")
    work.frame = frame
