"""Keep secrets and floods out of the text a probe reports."""

from __future__ import annotations

from collections.abc import Iterable

MAX_DETAIL = 300


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace each secret by '***' and cut the text to a readable length.

    Devices can echo requests back in their errors, and error texts can carry
    whole response bodies (a flooding device sends megabytes); neither may
    reach a log line, a metric or the database.
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    # Control characters from a device's text (escape sequences, NULs) become spaces.
    text = "".join(c if c.isprintable() else " " for c in text[: 4 * MAX_DETAIL])
    text = " ".join(text.split())
    if len(text) > MAX_DETAIL:
        text = text[: MAX_DETAIL - 1] + "…"
    return text
