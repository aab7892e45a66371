// Address check page: every value from the server is written with textContent (never innerHTML).
(function () {
  "use strict";
  const VERDICTS = { matched: "比对通过：地址库中存在该地址", doubtful: "比对存疑：请实地核查", not_found: "地址库中未找到该地址" };
  const LABELS = { prov: "省", city: "市", district: "区县", devzone: "开发区", town: "街道/镇", community: "社区",
    road: "道路", subroad: "支路", roadno: "门牌号", subroadno: "支路号", poi: "楼宇/小区", subpoi: "子兴趣点",
    houseno: "楼栋", cellno: "单元", floorno: "楼层", roomno: "房号", person: "人名", assist: "辅助",
    redundant: "冗余", otherinfo: "其他", country: "国家" };
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]');
  const map = new maplibregl.Map({
    container: "map", center: [106.63, 29.72], zoom: 11, attributionControl: false,
    style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef2f5" } }] },
  });
  map.on("load", () => {
    map.addSource("building", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: "building-fill", type: "fill", source: "building", paint: { "fill-color": "#1f4e79", "fill-opacity": 0.5 } });
    map.addLayer({ id: "building-point", type: "circle", source: "building", filter: ["==", "$type", "Point"],
      paint: { "circle-radius": 7, "circle-color": "#d9480f", "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
  });

  function row(tbody, cells) {
    const tr = document.createElement("tr");
    cells.forEach((c) => { const td = document.createElement("td"); td.textContent = c == null ? "" : String(c); tr.appendChild(td); });
    tbody.appendChild(tr);
  }

  function show(data) {
    $("error").hidden = true;
    $("result").hidden = false;
    const v = $("verdict");
    v.className = "verdict " + data.verdict;
    v.textContent = VERDICTS[data.verdict] || data.verdict;
    $("standard").textContent = data.standard_address || "—";
    $("confidence").textContent = (data.confidence * 100).toFixed(0) + "%";
    $("ftz").textContent = data.in_free_trade_zone == null ? "—" : (data.in_free_trade_zone ? "是" : "否");
    $("count").textContent = String(data.entities_registered_here.count);
    const warnings = $("warnings"); warnings.replaceChildren();
    data.warnings.forEach((w) => { const li = document.createElement("li"); li.textContent = w.message; warnings.appendChild(li); });
    const comps = $("components").tBodies[0]; comps.replaceChildren();
    data.components.forEach((c) => row(comps, [LABELS[c.label] || c.label, c.text]));
    const ents = $("entities").tBodies[0]; ents.replaceChildren();
    data.entities_registered_here.entities.forEach((e) => row(ents, [e.name, e.uscc, e.status]));
    drawBuilding(data);
  }

  function drawBuilding(data) {
    const features = [];
    if (data.building && data.building.footprint) features.push({ type: "Feature", geometry: data.building.footprint, properties: {} });
    if (data.lon != null) features.push({ type: "Feature", geometry: { type: "Point", coordinates: [data.lon, data.lat] }, properties: {} });
    const src = map.getSource("building");
    if (src) src.setData({ type: "FeatureCollection", features });
    if (data.lon != null) map.jumpTo({ center: [data.lon, data.lat], zoom: 17 });
  }

  $("check-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const headers = { "Content-Type": "application/json" };
    if (csrf) headers["X-CSRF-Token"] = csrf.content;
    const resp = await fetch("/api/v1/address-checks", { method: "POST", headers, credentials: "same-origin",
      body: JSON.stringify({ address: $("address").value }) });
    const data = await resp.json();
    if (!resp.ok) { $("result").hidden = true; $("error").hidden = false; $("error").textContent = data.message; return; }
    show(data);
  });
})();
