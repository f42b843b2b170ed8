"""Road analysis and the campus map at campus scale, beside the coverage maths.

    python bench/graph_map.py [--sites 2500] [--cameras-per-site 4]

A synthetic campus: key sites on a square grid 50 m apart, each a road node
joined to its neighbours (main roads every third), every fifth site a gate or
a laboratory, cameras at each site with a position and a 90° field of view
of 30 m. Timed per snapshot, as the monitor runs them: `analyse_graph` over
every camera intact (covered segments by field of view, blind routes, single
points of failure), `render_campus_map` with those findings, and — the
baseline, measured in the same run — `compute_coverage`, the maths every
poll cycle already does for the same campus.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.map import render_campus_map
from site_map.coverage import CameraHealth, compute_coverage
from site_map.graph import analyse_graph
from site_map.model import SiteMap

CATEGORIES = ("intersection", "main_road", "building_entrance", "gate", "laboratory")


def campus(sites: int, per_site: int) -> SiteMap:
    side = math.isqrt(sites - 1) + 1
    site_list, cameras, nodes, edges = [], [], [], []
    for i in range(sites):
        x, y = (i % side) * 50.0, (i // side) * 50.0
        site = f"s{i}"
        site_list.append(
            {"id": site, "campus": "c", "category": CATEGORIES[i % 5], "location": {"x": x, "y": y}}
        )
        nodes.append({"id": f"n{i}", "location": {"x": x, "y": y}, "site": site})
        if i % side:
            edges.append({"from": f"n{i - 1}", "to": f"n{i}", "main": i % 3 == 0})
        if i >= side:
            edges.append({"from": f"n{i - side}", "to": f"n{i}"})
        for k in range(per_site):
            cameras.append(
                {
                    "id": f"cam{i}-{k}",
                    "sites": [site],
                    "onvif": {"host": "127.0.0.1", "port": 1 + len(cameras) % 65535},
                    "position": {"x": x + 5, "y": y + 5, "heading": 90 * k % 360, "range": 30},
                }
            )
    return SiteMap.model_validate(
        {
            "school": "Benchmark University",
            "campuses": [{"id": "c"}],
            "sites": site_list,
            "cameras": cameras,
            "credentials": {"default": {"username": "u", "password_env": "UNUSED"}},
            "roads": {"nodes": nodes, "edges": edges},
        }
    )


def best_of(runs: int, step) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=2500)
    parser.add_argument("--cameras-per-site", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    site_map = campus(args.sites, args.cameras_per_site)
    health = {c.id: CameraHealth(online=True, intact=True) for c in site_map.cameras}
    intact = set(health)
    report = compute_coverage(site_map, health)
    findings = analyse_graph(site_map, intact)
    baseline = best_of(args.runs, lambda: compute_coverage(site_map, health))
    graph = best_of(args.runs, lambda: analyse_graph(site_map, intact))
    drawn = best_of(
        args.runs, lambda: render_campus_map(site_map, report, health, findings=findings)
    )
    svg = render_campus_map(site_map, report, health, findings=findings)
    roads = len(site_map.roads.edges) if site_map.roads else 0
    print(
        f"campus                  {len(site_map.cameras)} cameras, {args.sites} sites, "
        f"{roads} roads"
    )
    print(f"baseline: coverage      {baseline * 1000:8.1f} ms")
    print(f"analyse_graph           {graph * 1000:8.1f} ms   ×{graph / baseline:.1f} the baseline")
    print(
        f"render_campus_map       {drawn * 1000:8.1f} ms   ×{drawn / baseline:.1f} the baseline"
        f"   ({len(svg) / 1024:.0f} KiB of SVG)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
