// 校园周边检索: pick a school or click the map, set a radius, list the restricted entities.
// Data comes only from this server's GeoJSON API; every text goes in through textContent.
(function () {
  "use strict";

  var RISK_COLOURS = ["match", ["coalesce", ["get", "risk_class"], ""],
    "A", "#2e7d32", "B", "#f9a825", "C", "#ef6c00", "D", "#c62828", "#607d8b"];
  var RISK_LABELS = { A: "A 类", B: "B 类", C: "C 类", D: "D 类" };
  var EMPTY = { type: "FeatureCollection", features: [] };
  var form = document.getElementById("search-form");
  var schoolSelect = document.getElementById("school");
  var radiusInput = document.getElementById("radius");
  var statusLine = document.getElementById("status");
  var errorLine = document.getElementById("error");
  var results = document.getElementById("results");
  var exportButton = document.getElementById("export");
  var state = { centre: null, features: [], title: "" };

  var map = new maplibregl.Map({
    container: "map",
    style: { version: 8, sources: {}, layers: [
      { id: "background", type: "background", paint: { "background-color": "#f5f5f0" } }] },
    center: [106.6, 29.7], zoom: 10, attributionControl: false
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }));
  window.perimeterMap = map;

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (resp) {
      return resp.json().then(function (body) {
        if (!resp.ok) { throw new Error(body.message || ("HTTP " + resp.status)); }
        return body;
      });
    });
  }

  function showError(message) {
    errorLine.textContent = message;
    errorLine.hidden = !message;
  }

  // A geodesic-enough circle (spherical destination formula, 96 vertices) for drawing only.
  function circlePolygon(lon, lat, radiusM) {
    var R = 6371008.8, ring = [], d = radiusM / R, phi1 = lat * Math.PI / 180, lam1 = lon * Math.PI / 180;
    for (var i = 0; i <= 96; i++) {
      var brg = 2 * Math.PI * i / 96;
      var phi2 = Math.asin(Math.sin(phi1) * Math.cos(d) + Math.cos(phi1) * Math.sin(d) * Math.cos(brg));
      var lam2 = lam1 + Math.atan2(Math.sin(brg) * Math.sin(d) * Math.cos(phi1),
        Math.cos(d) - Math.sin(phi1) * Math.sin(phi2));
      ring.push([lam2 * 180 / Math.PI, phi2 * 180 / Math.PI]);
    }
    return { type: "FeatureCollection", features: [
      { type: "Feature", properties: {}, geometry: { type: "Polygon", coordinates: [ring] } }] };
  }

  function collectPositions(coords, out) {
    if (typeof coords[0] === "number") { out.push(coords); return; }
    coords.forEach(function (c) { collectPositions(c, out); });
  }

  function selectedCategories() {
    return Array.prototype.filter.call(document.querySelectorAll("input[name=category]"),
      function (box) { return box.checked; }).map(function (box) { return box.value; });
  }

  function search(centre) {
    var radius = Number(radiusInput.value);
    var cats = selectedCategories();
    showError("");
    if (!(radius > 0)) { showError("请填写大于 0 的半径"); return; }
    if (!cats.length) { showError("请至少选择一个限制类行业"); return; }
    var params = new URLSearchParams({ radius_m: String(radius) });
    var url;
    if (centre.poiId) {
      params.set("categories", cats.join(","));
      url = "/api/v1/pois/" + encodeURIComponent(centre.poiId) + "/perimeter?" + params;
    } else {
      params.set("lon", String(centre.lon)); params.set("lat", String(centre.lat));
      params.set("category", cats.join(","));
      url = "/api/v1/search/radius?" + params;
    }
    document.body.dataset.state = "loading";
    statusLine.textContent = "检索中…";
    getJSON(url).then(function (body) {
      var lon = body.centre.lon, lat = body.centre.lat;
      state = { centre: body.centre, features: body.features,
        title: (body.centre.name || (lon.toFixed(6) + "," + lat.toFixed(6))) + " 周边 " + radius + " 米" };
      var circle = circlePolygon(lon, lat, radius);
      map.getSource("circle").setData(circle);
      map.getSource("centre").setData({ type: "FeatureCollection", features: [
        { type: "Feature", properties: {}, geometry: { type: "Point", coordinates: [lon, lat] } }] });
      map.getSource("entities").setData(body);
      var ring = circle.features[0].geometry.coordinates[0];
      var bounds = ring.reduce(function (b, p) { return b.extend(p); }, new maplibregl.LngLatBounds(ring[0], ring[0]));
      map.fitBounds(bounds, { padding: 40, duration: 0 });
      renderList(body.features);
      statusLine.textContent = state.title + "：限制类经营主体 " + body.features.length + " 家";
      exportButton.disabled = false;
      map.once("idle", function () { document.body.dataset.state = "ready"; });
      map.triggerRepaint();
    }).catch(function (err) {
      document.body.dataset.state = "error";
      statusLine.textContent = "";
      showError(err.message);
    });
  }

  function renderList(features) {
    results.replaceChildren();
    features.forEach(function (f) {
      var p = f.properties, li = document.createElement("li"), dot = document.createElement("span");
      dot.className = "dot risk-" + (RISK_LABELS[p.risk_class] ? p.risk_class : "none");
      var name = document.createElement("strong");
      name.textContent = p.name;
      var meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = [p.category || "", (RISK_LABELS[p.risk_class] || "未分级"),
        Number(p.distance_m).toFixed(0) + " 米", p.registered_address || ""].join(" · ");
      li.dataset.id = String(f.id);
      li.append(dot, name, meta);
      results.appendChild(li);
    });
  }

  // CSV for Excel: BOM, quoted cells, and a leading ' on cells a spreadsheet would run as a formula.
  function csvCell(value) {
    var text = value === null || value === undefined ? "" : String(value);
    if (/^[=+\-@\t\r]/.test(text)) { text = "'" + text; }
    return '"' + text.replace(/"/g, '""') + '"';
  }

  function exportCsv() {
    var cols = [["name", "名称"], ["category", "类别"], ["risk_class", "风险等级"], ["status", "状态"],
      ["distance_m", "距离（米）"], ["registered_address", "登记地址"], ["uscc", "统一社会信用代码"],
      ["lon", "经度"], ["lat", "纬度"]];
    var lines = [cols.map(function (c) { return csvCell(c[1]); }).join(",")];
    state.features.forEach(function (f) {
      lines.push(cols.map(function (c) { return csvCell(f.properties[c[0]]); }).join(","));
    });
    var blob = new Blob(["\ufeff" + lines.join("\r\n")], { type: "text/csv;charset=utf-8" });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "perimeter.csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  function loadSchools() {
    return Promise.all(["school", "kindergarten"].map(function (kind) {
      return getJSON("/api/v1/search/pois?kind=" + kind);
    })).then(function (lists) {
      var features = [];
      lists.forEach(function (list) {
        list.pois.forEach(function (p) {
          var opt = document.createElement("option");
          opt.value = String(p.id);
          opt.textContent = p.name + (list.kind === "kindergarten" ? "（幼儿园）" : "");
          schoolSelect.appendChild(opt);
          features.push({ type: "Feature", id: p.id, properties: { id: p.id, name: p.name, kind: p.kind },
            geometry: { type: "Point", coordinates: [p.lon, p.lat] } });
        });
      });
      map.getSource("schools").setData({ type: "FeatureCollection", features: features });
    });
  }

  map.on("load", function () {
    ["outline", "schools", "circle", "centre", "entities"].forEach(function (id) {
      map.addSource(id, { type: "geojson", data: EMPTY });
    });
    map.addLayer({ id: "outline-fill", type: "fill", source: "outline",
      paint: { "fill-color": ["match", ["get", "kind"], "free_trade_zone", "#bbdefb", "#ffffff"],
        "fill-opacity": 0.5 } });
    map.addLayer({ id: "outline-line", type: "line", source: "outline",
      paint: { "line-color": "#90a4ae", "line-width": ["match", ["get", "kind"], "district", 2, 1] } });
    map.addLayer({ id: "circle-fill", type: "fill", source: "circle",
      paint: { "fill-color": "#1565c0", "fill-opacity": 0.08 } });
    map.addLayer({ id: "circle-line", type: "line", source: "circle",
      paint: { "line-color": "#1565c0", "line-width": 2 } });
    map.addLayer({ id: "schools", type: "circle", source: "schools",
      paint: { "circle-radius": 5, "circle-color": "#ffffff", "circle-stroke-color": "#0d47a1",
        "circle-stroke-width": 2 } });
    map.addLayer({ id: "centre", type: "circle", source: "centre",
      paint: { "circle-radius": 7, "circle-color": "#0d47a1" } });
    map.addLayer({ id: "entities", type: "circle", source: "entities",
      paint: { "circle-radius": 6, "circle-color": RISK_COLOURS, "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 1 } });

    getJSON("/api/v1/search/outline").then(function (body) {
      map.getSource("outline").setData(body);
      var coords = [];
      body.features.forEach(function (f) {
        if (f.properties.kind === "district") { collectPositions(f.geometry.coordinates, coords); }
      });
      if (coords.length && !state.centre) {
        var b = coords.reduce(function (acc, p) { return acc.extend(p); }, new maplibregl.LngLatBounds(coords[0], coords[0]));
        map.fitBounds(b, { padding: 20, duration: 0 });
      }
    }).catch(function (err) { showError(err.message); });
    loadSchools().catch(function (err) { showError(err.message); }).then(function () {
      document.body.dataset.state = document.body.dataset.state || "idle";
      var wanted = new URLSearchParams(window.location.search).get("poi");
      if (wanted) { schoolSelect.value = wanted; search({ poiId: wanted }); }
    });

    map.on("click", function (e) {
      var hit = map.queryRenderedFeatures(e.point, { layers: ["schools"] })[0];
      if (hit) { schoolSelect.value = String(hit.properties.id); search({ poiId: hit.properties.id }); return; }
      schoolSelect.value = "";
      search({ lon: e.lngLat.lng, lat: e.lngLat.lat });
    });
    map.on("mouseenter", "entities", function () { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", "entities", function () { map.getCanvas().style.cursor = ""; });
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (schoolSelect.value) { search({ poiId: schoolSelect.value }); }
    else if (state.centre) { search({ lon: state.centre.lon, lat: state.centre.lat }); }
    else { showError("请选择学校，或在地图上点击一个位置"); }
  });
  schoolSelect.addEventListener("change", function () {
    if (schoolSelect.value) { search({ poiId: schoolSelect.value }); }
  });
  exportButton.addEventListener("click", exportCsv);
})();
