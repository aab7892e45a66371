// Building economy page: buildings extruded by height, coloured by quantile class of the chosen measure.
// Every server value is written with textContent.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const fmt = (v) => (v == null ? "—" : Number(v).toLocaleString("zh-CN", { maximumFractionDigits: 2 }));
  const pct = (v) => (v == null ? "—" : (v * 100).toFixed(1) + "%");
  const state = { measure: "tax_10k", year: null, by: "building", legend: [] };
  const webgl = (() => { try { return !!document.createElement("canvas").getContext("webgl"); } catch (e) { return false; } })();
  let map = null;

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text != null) node.textContent = String(text);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    return node;
  }

  async function getJSON(url) {
    const resp = await fetch(url, { credentials: "same-origin" });
    if (!resp.ok) throw new Error((await resp.json()).message);
    return resp.json();
  }

  function colorExpression() {
    const expr = ["match", ["coalesce", ["get", "class"], -1]];
    state.legend.forEach((l) => expr.push(l.class, l.color));
    expr.push("#cccccc");
    return state.legend.length ? expr : "#cccccc";
  }

  function drawLegend() {
    const list = $("legend").querySelector("ol");
    list.replaceChildren();
    state.legend.forEach((l) => {
      const li = el("li");
      li.appendChild(el("span", null, { class: "swatch", style: "background:" + l.color }));
      li.appendChild(el("span", fmt(l.from) + " – " + fmt(l.to)));
      list.appendChild(li);
    });
  }

  async function loadBuildings() {
    let url = `/api/v1/economy/choropleth?by=building&measure=${state.measure}`;
    if (state.year) url += `&year=${state.year}`;
    if (map) {
      const b = map.getBounds();
      url += `&bbox=${b.getWest().toFixed(5)},${b.getSouth().toFixed(5)},${b.getEast().toFixed(5)},${b.getNorth().toFixed(5)}`;
    }
    const data = await getJSON(url);
    state.legend = data.legend;
    drawLegend();
    if (map && map.getSource("buildings")) {
      map.getSource("buildings").setData(data);
      map.setPaintProperty("buildings-3d", "fill-extrusion-color", colorExpression());
    }
    document.body.dataset.buildings = String(data.features.length);
  }

  async function loadRanking() {
    let url = `/api/v1/economy/summary?by=${state.by}&sort=${state.measure}&limit=20`;
    if (state.year) url += `&year=${state.year}`;
    const data = await getJSON(url);
    if (!state.year) { state.year = data.year; fillYears(data.year); }
    const list = $("ranking");
    list.replaceChildren();
    data.rows.forEach((r) => {
      const li = el("li", `${r.name || r.code}：${fmt(r[state.measure])}（${pct(r.tax_10k_growth)}）`);
      if (state.by === "building") li.addEventListener("click", () => showBuilding(r.code));
      list.appendChild(li);
    });
  }

  function fillYears(latest) {
    const select = $("year");
    for (let y = latest; y > latest - 3; y--) select.appendChild(el("option", y, { value: y }));
  }

  async function showBuilding(id) {
    const b = await getJSON(`/api/v1/buildings/${encodeURIComponent(id)}`);
    $("detail").hidden = false;
    $("detail-name").textContent = b.name || b.address_text || ("楼宇 " + b.id);
    const body = $("detail-years").tBodies[0];
    body.replaceChildren();
    b.years.forEach((y) => {
      const tr = el("tr");
      [y.year, fmt(y.output_value_10k), fmt(y.tax_10k), fmt(y.employment), pct(y.tax_10k_growth)].forEach((c) => tr.appendChild(el("td", c)));
      body.appendChild(tr);
    });
    const ents = $("detail-entities");
    ents.replaceChildren();
    b.entities.slice(0, 100).forEach((e) => ents.appendChild(el("li", `${e.floor_no ? e.floor_no + "层 " : ""}${e.name}（${e.industry_label || ""}）`)));
    if (map && b.lon != null) map.flyTo({ center: [b.lon, b.lat], zoom: 17, pitch: 55 });
  }

  // Our own vector tiles for the base map (roads, street outlines): nothing from the internet.
  function tiles(layer, minzoom, maxzoom) {
    return { type: "vector", tiles: [location.origin + "/tiles/" + layer + "/{z}/{x}/{y}.pbf"], minzoom, maxzoom };
  }

  function initMap() {
    map = new maplibregl.Map({
      container: "map", center: [106.58, 29.68], zoom: 14, pitch: 55, bearing: -20, attributionControl: false,
      style: {
        version: 8,
        sources: { roads: tiles("roads", 11, 16), streets: tiles("streets", 8, 16) },
        layers: [
          { id: "bg", type: "background", paint: { "background-color": "#e9e4dc" } },
          { id: "roads", type: "line", source: "roads", "source-layer": "roads",
            paint: { "line-color": "#ffffff", "line-width": ["interpolate", ["linear"], ["zoom"], 11, 0.8, 17, 8] } },
          { id: "street-lines", type: "line", source: "streets", "source-layer": "streets",
            paint: { "line-color": "#8a7a5c", "line-width": 1.4 } },
        ],
      },
    });
    map.on("load", async () => {
      map.addSource("buildings", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      map.addLayer({ id: "buildings-3d", type: "fill-extrusion", source: "buildings", paint: {
        "fill-extrusion-color": "#cccccc", "fill-extrusion-height": ["get", "height_m"],
        "fill-extrusion-base": 0, "fill-extrusion-opacity": 0.9 } });
      map.on("click", "buildings-3d", (ev) => showBuilding(ev.features[0].properties.id));
      map.on("moveend", () => loadBuildings());
      await centreOnTop();
      await loadBuildings();
      document.body.dataset.ready = "1";
    });
  }

  async function centreOnTop() {
    const data = await getJSON(`/api/v1/economy/summary?by=building&sort=${state.measure}&limit=1`);
    if (!data.rows.length) return;
    const b = await getJSON(`/api/v1/buildings/${data.rows[0].code}`);
    if (b.lon != null) map.jumpTo({ center: [b.lon, b.lat], zoom: 15.5 });
  }

  ["measure", "year", "by"].forEach((id) => $(id).addEventListener("change", () => {
    state[id] = id === "year" ? Number($(id).value) : $(id).value;
    loadRanking();
    if (id !== "by") loadBuildings();
  }));

  loadRanking().then(() => {
    if (webgl) { initMap(); } else {
      $("fallback").hidden = false;
      $("map").hidden = true;
      loadBuildings().then(() => { document.body.dataset.ready = "1"; });
    }
  });
})();
