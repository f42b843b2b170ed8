"""The category vocabulary of key sites and the default policy for each.

The vocabulary is the list of 重点部位 in seed 000 (appendix item 6) plus the
hazardous-chemical stores of 000 §设备处 and the dormitories and libraries
every campus plan names. A gate needs two cameras (entry and exit views);
every other key site needs one unless the site map says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from site_map.model import Site, SiteMap


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    name_zh: str
    name_en: str
    required_cameras: int = 1
    # Critical sites page technicians at once (finance, secrets, chemicals, gates).
    critical: bool = False


CATEGORIES: dict[str, Category] = {
    c.id: c
    for c in (
        Category("gate", "校门", "Gate", required_cameras=2, critical=True),
        Category("building_entrance", "楼栋出入口及门厅", "Building entrance and lobby"),
        Category("main_road", "主要道路", "Main road"),
        Category("intersection", "交叉口", "Intersection"),
        Category("gymnasium", "体育馆", "Gymnasium"),
        Category("canteen", "食堂", "Canteen"),
        Category("laboratory", "实验室", "Laboratory"),
        Category("finance_office", "财务室", "Finance office", critical=True),
        Category("confidential_room", "保密室", "Confidential room", critical=True),
        Category("track_field", "田径场", "Track and field"),
        Category("basketball_court", "篮球场", "Basketball court"),
        Category("hazardous_store", "危化品储存场所", "Hazardous chemicals store", critical=True),
        Category("dormitory", "宿舍", "Dormitory"),
        Category("library", "图书馆", "Library"),
    )
}


def categories_in_force(site_map: SiteMap) -> dict[str, Category]:
    """The built-in vocabulary with the site map's declarations and overrides applied."""
    merged = dict(CATEGORIES)
    for cid, declared in site_map.categories.items():
        base = merged.get(cid, Category(cid, declared.name or cid, declared.name or cid))
        merged[cid] = Category(
            id=cid,
            name_zh=declared.name or base.name_zh,
            name_en=base.name_en if cid in CATEGORIES else (declared.name or cid),
            required_cameras=(
                declared.required_cameras
                if declared.required_cameras is not None
                else base.required_cameras
            ),
            critical=declared.critical if declared.critical is not None else base.critical,
        )
    return merged


def required_cameras(site: Site, categories: dict[str, Category]) -> int:
    """Cameras a key site needs: the site's own figure, else its category's."""
    if site.required_cameras is not None:
        return site.required_cameras
    category = categories.get(site.category)
    return category.required_cameras if category else 1
