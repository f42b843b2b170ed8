"""The /map web page: the live campus map, refreshed every 30 seconds.

Self-contained (no external script, font or stylesheet): the monitor runs on
networks cut off from the internet. The page fetches `/api/map.svg` (with
`?campus=` when one is chosen), puts the SVG inline so its elements can be
inspected and hovered, and counts the key sites per status.
"""

from __future__ import annotations

import html

from monitor.map.render import CAMERA_COLOURS, STATUS_COLOURS

__all__ = ["REFRESH_SECONDS", "map_page"]

REFRESH_SECONDS = 30

_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>@TITLE@</title>
<style>
  body { margin: 0; font-family: sans-serif; color: #212121; background: #f5f5f5; }
  header { padding: 10px 16px; background: #263238; color: #ffffff; }
  header h1 { margin: 0; font-size: 18px; font-weight: bold; }
  .bar { display: flex; flex-wrap: wrap; gap: 14px; align-items: center;
         padding: 8px 16px; background: #ffffff; border-bottom: 1px solid #e0e0e0;
         font-size: 13px; }
  .count { display: inline-flex; align-items: center; gap: 5px; }
  .dot { display: inline-block; width: 11px; height: 11px; border-radius: 50%; }
  .dot.covered { background: @COVERED@; }
  .dot.under-covered { background: @UNDER@; }
  .dot.unwatched { background: @UNWATCHED@; }
  .dot.offline { background: @OFFLINE@; }
  #message { margin: 8px 16px; color: #b71c1c; font-size: 13px; }
  #message:empty { display: none; }
  #map { padding: 8px 16px; }
  #map svg { max-width: 100%; height: auto; background: #ffffff; }
  .muted { color: #757575; }
</style>
</head>
<body>
<header><h1>@TITLE@</h1></header>
<div class="bar">
  <label>校区 campus
    <select id="campus"><option value="">全部 all campuses</option></select>
  </label>
  <span class="count"><span class="dot covered"></span>已覆盖 covered
    <b id="count-covered">–</b></span>
  <span class="count"><span class="dot under-covered"></span>覆盖不足 under-covered
    <b id="count-under-covered">–</b></span>
  <span class="count"><span class="dot unwatched"></span>无完好摄像机 unwatched
    <b id="count-unwatched">–</b></span>
  <span class="count"><span class="dot offline"></span>离线摄像机 cameras offline
    <b id="count-offline">–</b></span>
  <span>更新于 last updated: <b id="updated">–</b></span>
  <span class="muted" id="polled"></span>
</div>
<p id="message" role="status"></p>
<div id="map" data-state="loading" aria-live="polite"></div>
<script>
(function () {
  "use strict";
  var REFRESH_MS = @REFRESH@ * 1000;
  var mapBox = document.getElementById("map");
  var select = document.getElementById("campus");
  var message = document.getElementById("message");
  var updated = document.getElementById("updated");
  var polled = document.getElementById("polled");
  var params = new URLSearchParams(window.location.search);
  var campus = params.get("campus") || "";
  var loading = false;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function stamp(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      " " + pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds());
  }

  function fillSelector(svg) {
    var known = {};
    Array.prototype.forEach.call(select.options, function (o) { known[o.value] = true; });
    var entries = svg.querySelectorAll(".campus-index [data-campus]");
    Array.prototype.forEach.call(entries, function (entry) {
      var id = entry.getAttribute("data-campus");
      if (known[id]) { return; }
      var option = document.createElement("option");
      option.value = id;
      option.textContent = entry.textContent === id ? id : entry.textContent + " " + id;
      select.appendChild(option);
      known[id] = true;
    });
    if (campus && !known[campus]) {
      var missing = document.createElement("option");
      missing.value = campus;
      missing.textContent = campus;
      select.appendChild(missing);
    }
    select.value = campus;
  }

  function count(svg) {
    ["covered", "under-covered", "unwatched"].forEach(function (status) {
      document.getElementById("count-" + status).textContent =
        svg.querySelectorAll(".site." + status).length;
    });
    document.getElementById("count-offline").textContent =
      svg.querySelectorAll(".camera.offline").length;
  }

  function show(text) {
    var doc = new DOMParser().parseFromString(text, "image/svg+xml");
    var root = doc.documentElement;
    if (!root || root.nodeName !== "svg" || doc.getElementsByTagName("parsererror").length) {
      message.textContent = "地图无法读取 the map could not be read";
      return false;
    }
    var svg = document.importNode(root, true);
    while (mapBox.firstChild) { mapBox.removeChild(mapBox.firstChild); }
    mapBox.appendChild(svg);
    fillSelector(svg);
    count(svg);
    return true;
  }

  function load() {
    if (loading) { return; }
    loading = true;
    var url = "/api/map.svg" + (campus ? "?campus=" + encodeURIComponent(campus) : "");
    fetch(url, { cache: "no-store" }).then(function (response) {
      return response.text().then(function (text) {
        if (!response.ok) {
          message.textContent = text || ("HTTP " + response.status);
          mapBox.setAttribute("data-state", "error");
          return;
        }
        if (show(text)) {
          message.textContent = "";
          updated.textContent = stamp(new Date());
          var finished = Number(response.headers.get("X-Tianyan-Poll-Finished"));
          polled.textContent = finished ?
            "数据来自 data from the poll finished at " + stamp(new Date(finished * 1000)) :
            "尚无完成的轮询 no poll cycle finished yet";
          mapBox.setAttribute("data-state", "ready");
        }
      });
    }).catch(function (error) {
      // Kept on the page, not thrown: the next refresh may well succeed.
      message.textContent = "无法获取地图 could not fetch the map: " + error.message;
      mapBox.setAttribute("data-state", "error");
    }).then(function () { loading = false; });
  }

  select.addEventListener("change", function () {
    campus = select.value;
    var query = campus ? "?campus=" + encodeURIComponent(campus) : "";
    window.history.replaceState(null, "", window.location.pathname + query);
    load();
  });
  load();
  window.setInterval(load, REFRESH_MS);
}());
</script>
</body>
</html>
"""


def map_page(title: str) -> str:
    """The self-contained HTML page of the live map (title escaped)."""
    replacements = {
        "@REFRESH@": str(REFRESH_SECONDS),
        "@COVERED@": STATUS_COLOURS["covered"],
        "@UNDER@": STATUS_COLOURS["under-covered"],
        "@UNWATCHED@": STATUS_COLOURS["unwatched"],
        "@OFFLINE@": CAMERA_COLOURS["offline"],
        # Last: a title holding one of the markers above stays as written.
        "@TITLE@": html.escape(title),
    }
    page = _PAGE
    for marker, value in replacements.items():
        page = page.replace(marker, value)
    return page
