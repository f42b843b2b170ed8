"""Plain structured log lines (logfmt-like), one event per line, no secrets."""

from __future__ import annotations

import logging
import sys
import time


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        text = (
            f"ts={stamp}.{int(record.msecs):03d}Z level={record.levelname.lower()} "
            f'logger={record.name} msg="{record.getMessage()}"'
        )
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def setup_logging(verbose: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    # force: the ONVIF client library configures the root logger when imported.
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, handlers=[handler], force=True
    )
    for noisy in ("onvif", "zeep", "aiohttp.access", "aiohttp.server", "alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING if verbose else logging.ERROR)


class Progress:
    """Cycle progress: a live line on a terminal, a log line every 10% otherwise."""

    def __init__(self, label: str = "polling") -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self._last_decile = -1
        self._log = logging.getLogger("tianyan.progress")

    def __call__(self, done: int, total: int) -> None:
        if total <= 0:
            return
        if self.tty:
            width = 30
            filled = width * done // total
            sys.stderr.write(
                f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} cameras"
            )
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()
            return
        decile = done * 10 // total
        if decile != self._last_decile:
            self._last_decile = decile
            self._log.info("%s progress done=%d total=%d", self.label, done, total)
