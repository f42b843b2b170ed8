"""The period report as PDF: the HTML report printed by headless Chromium.

Chromium lays out Chinese text, tables and the inline SVG map exactly as a
browser shows them, which no pure-Python PDF writer does. It runs as a child
process with its own throw-away profile (so it neither reads nor disturbs a
user's browser), on a local file: nothing is fetched from the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# Debian and Ubuntu call it chromium; other systems chromium-browser or google-chrome.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT_SECONDS = 120.0


class PdfError(RuntimeError):
    """The PDF could not be made; the message says why and what to do."""


def find_chromium() -> str | None:
    """The Chromium binary: $TIANYAN_CHROMIUM if set, else the first on PATH."""
    configured = os.environ.get("TIANYAN_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else shutil.which(configured)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def report_to_pdf(html: str, path: str | Path, *, timeout: float = PDF_TIMEOUT_SECONDS) -> Path:
    """Print `html` (the HTML report) to the PDF file `path`; returns its path.

    Raises PdfError when Chromium is missing, fails or gives no PDF.
    """
    chromium = find_chromium()
    if chromium is None:
        raise PdfError(
            "PDF needs Chromium, which is not installed: install it (Debian: apt-get install"
            " chromium) or set TIANYAN_CHROMIUM to its path; or make the HTML report"
            " (--format html) and print it from a browser"
        )
    target = Path(path).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tianyan-report-") as work:
        page = Path(work) / "report.html"
        page.write_text(html, encoding="utf-8")
        printed = Path(work) / "report.pdf"
        command = [
            chromium,
            "--headless",
            "--no-sandbox",  # often run as root in a container, where the sandbox cannot start
            "--disable-gpu",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(work) / 'profile'}",
            f"--print-to-pdf={printed}",
            page.as_uri(),
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, timeout=timeout, check=False, cwd=work
            )
        except subprocess.TimeoutExpired:
            raise PdfError(
                f"Chromium ({chromium}) did not print the report in {timeout:.0f} s"
            ) from None
        except OSError as exc:
            raise PdfError(f"Chromium ({chromium}) could not be started: {exc.strerror}") from None
        if not printed.is_file() or printed.stat().st_size == 0:
            tail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise PdfError(
                f"Chromium ({chromium}) exited with status {result.returncode} without"
                f" printing a PDF" + (f": {' | '.join(tail)}" if tail else "")
            )
        shutil.move(str(printed), target)
    return target
