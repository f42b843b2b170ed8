"""`tianyan check SITE_MAP`: validate a site map and say what it describes.

Exit status 0 with a one-line summary on stdout (warnings, if any, on
stderr), or 2 with every problem on stderr, one per line, as
``FILE:LINE: message``.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import TextIO

from site_map.loader import LoadedSiteMap, SiteMapError, load_site_map

EXIT_OK = 0
EXIT_INVALID = 2


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def summary(loaded: LoadedSiteMap, path: str) -> str:
    """``PATH: ok: SCHOOL: 2 campuses, 9 sites (gate 2, ...), 14 cameras, 2 NVRs``."""
    sm = loaded.site_map
    by_category = Counter(site.category for site in sm.sites)
    ranked = sorted(by_category.items(), key=lambda item: (-item[1], item[0]))
    sites = _count(len(sm.sites), "site")
    if ranked:
        sites += " (" + ", ".join(f"{category} {n}" for category, n in ranked) + ")"
    parts = [
        _count(len(sm.campuses), "campus", "campuses"),
        sites,
        _count(len(sm.cameras), "camera"),
        _count(len(sm.nvrs), "NVR"),
    ]
    line = f"{path}: ok: {sm.school}: " + ", ".join(parts)
    if loaded.warnings:
        line += f"; {_count(len(loaded.warnings), 'warning')}"
    return line


def run_check(path: str, stdout: TextIO, stderr: TextIO) -> int:
    """Validate the site map at `path` (file or directory); 0 if usable, else 2."""
    try:
        loaded = load_site_map(path)
    except SiteMapError as exc:
        for problem in exc.problems:
            print(problem, file=stderr)
        return EXIT_INVALID
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=stderr)
    print(summary(loaded, path), file=stdout)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m site_map.check SITE_MAP", file=sys.stderr)
        return EXIT_INVALID
    return run_check(args[0], sys.stdout, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
