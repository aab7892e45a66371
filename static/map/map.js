/* MarketMap risk map: our own vector tiles only, no glyphs, no sprites, nothing off-site. */
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("map-config").textContent);
  const C = cfg.classes;
  const GREY = "#8c8c8c";
  const state = { classes: new Set(Object.keys(C)), industry: "", grid: "" };

  function source(layer) {
    const [minzoom, maxzoom] = cfg.layers[layer];
    return { type: "vector", tiles: [location.origin + "/tiles/" + layer + "/{z}/{x}/{y}.pbf"], minzoom, maxzoom };
  }

  // Share of B/C/D weighted 1/2/3, from 0 (all A) to 3 (all D): the colour of a grid's aggregate.
  const riskIndex = ["/", ["+", ["coalesce", ["get", "n_b"], 0], ["*", 2, ["coalesce", ["get", "n_c"], 0]],
    ["*", 3, ["coalesce", ["get", "n_d"], 0]]], ["max", 1, ["coalesce", ["get", "n"], 1]]];
  const aggregateColour = ["case", ["!", ["has", "n_a"]], GREY,
    ["interpolate", ["linear"], riskIndex, 0, C.A.hex, 0.25, C.B.hex, 0.6, C.C.hex, 1.2, C.D.hex]];
  const pointColour = ["match", ["coalesce", ["get", "risk_class"], ""],
    "A", C.A.hex, "B", C.B.hex, "C", C.C.hex, "D", C.D.hex, GREY];

  const style = {
    version: 8,
    sources: { streets: source("streets"), grids: source("grids"), roads: source("roads"),
      buildings: source("buildings"), pois: source("pois"), enterprises: source("enterprises") },
    layers: [
      { id: "background", type: "background", paint: { "background-color": "#f3f0e8" } },
      { id: "streets-fill", type: "fill", source: "streets", "source-layer": "streets",
        paint: { "fill-color": "#ebe6da", "fill-outline-color": "#b5ab96" } },
      { id: "roads", type: "line", source: "roads", "source-layer": "roads",
        paint: { "line-color": "#ffffff", "line-width": ["interpolate", ["linear"], ["zoom"], 10, 0.6, 16, 6] } },
      { id: "buildings", type: "fill", source: "buildings", "source-layer": "buildings",
        paint: { "fill-color": "#d6cfc2", "fill-outline-color": "#b9b0a0" } },
      { id: "grid-lines", type: "line", source: "grids", "source-layer": "grids",
        filter: ["==", ["get", "level"], "grid"], minzoom: 12,
        paint: { "line-color": "#4a6fa5", "line-width": 1, "line-dasharray": [3, 2] } },
      { id: "street-lines", type: "line", source: "streets", "source-layer": "streets",
        paint: { "line-color": "#6b5b3e", "line-width": 1.6 } },
      { id: "pois", type: "circle", source: "pois", "source-layer": "pois", minzoom: 13,
        paint: { "circle-radius": 4, "circle-color": "#7b4fb3", "circle-stroke-color": "#fff", "circle-stroke-width": 1 } },
      { id: "aggregates", type: "circle", source: "enterprises", "source-layer": "enterprises",
        filter: ["has", "aggregate"],
        paint: { "circle-color": aggregateColour, "circle-opacity": 0.8, "circle-stroke-color": "#fff", "circle-stroke-width": 1,
          "circle-radius": ["interpolate", ["linear"], ["sqrt", ["coalesce", ["get", "n"], 0]], 0, 3, 30, 22] } },
      { id: "entities", type: "circle", source: "enterprises", "source-layer": "enterprises",
        filter: ["!", ["has", "aggregate"]],
        paint: { "circle-color": pointColour, "circle-stroke-color": "#fff", "circle-stroke-width": 1,
          "circle-radius": ["interpolate", ["linear"], ["zoom"], 15, 5, 18, 9] } },
    ],
  };

  const options = { container: "map", style, attributionControl: false, maxZoom: 19 };
  if (cfg.centre) { options.center = cfg.centre.slice(0, 2); options.zoom = cfg.centre[2]; }
  else { options.bounds = [[cfg.bounds[0], cfg.bounds[1]], [cfg.bounds[2], cfg.bounds[3]]]; options.fitBoundsOptions = { padding: 20 }; }
  const map = new maplibregl.Map(options);
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  window.riskMap = map;

  // ---- filters: class, industry, grid (points; aggregates follow the grid filter)
  function applyFilters() {
    const points = ["all", ["!", ["has", "aggregate"]]];
    const aggregates = ["all", ["has", "aggregate"]];
    if (cfg.seesClasses && state.classes.size < 4) {
      points.push(["in", ["coalesce", ["get", "risk_class"], ""], ["literal", Array.from(state.classes)]]);
    }
    if (state.industry) points.push(["==", ["get", "industry"], state.industry]);
    if (state.grid) { points.push(["==", ["get", "grid"], state.grid]); aggregates.push(["==", ["get", "grid"], state.grid]); }
    map.setFilter("entities", points);
    map.setFilter("aggregates", aggregates);
  }

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    return node;
  }

  function legend(summary) {
    const list = document.getElementById("classes");
    list.replaceChildren();
    summary.classes.forEach((c) => {
      const li = el("li");
      const box = el("input", null, { type: "checkbox", "aria-label": c.label });
      box.checked = state.classes.has(c.class);
      box.disabled = !cfg.seesClasses;
      box.addEventListener("change", () => { box.checked ? state.classes.add(c.class) : state.classes.delete(c.class); applyFilters(); });
      const swatch = el("span", null, { class: "swatch" });
      swatch.style.background = c.hex;
      li.append(box, swatch, el("span", c.class + " " + c.label),
        el("span", cfg.seesClasses ? c.n.toLocaleString("zh-CN") : "—", { class: "count" }));
      list.append(li);
    });
    document.getElementById("legend-note").textContent = cfg.seesClasses
      ? (summary.classes_complete ? "共 " + summary.total.toLocaleString("zh-CN") + " 户" : "仅统计您负责的网格")
      : "风险类别为非公开监管信息，登录后可见";
  }

  function fillSelect(id, items, label) {
    const select = document.getElementById(id);
    if (select.options.length > 1) return;
    items.forEach((it) => select.append(el("option", label(it), { value: it.code })));
  }

  function loadSummary() {
    const params = new URLSearchParams();
    if (state.grid) params.set("grid", state.grid);
    if (state.industry) params.set("industry", state.industry);
    return fetch("/api/v1/enterprises/risk-summary?" + params).then((r) => r.json()).then((s) => {
      legend(s);
      fillSelect("industry", s.industries, (i) => (i.label || i.code) + "（" + i.n + "）");
      fillSelect("grid", s.grids, (g) => g.name + " " + g.code);
    }).catch(() => { document.getElementById("legend-note").textContent = "统计暂不可用"; });
  }

  ["industry", "grid"].forEach((id) => document.getElementById(id).addEventListener("change", (e) => {
    state[id] = e.target.value; applyFilters(); loadSummary();
  }));

  // ---- popup: every text goes through textContent
  function popupContent(uscc, detail) {
    const box = el("div", null, { class: "popup" });
    const e = detail.enterprise || {};
    box.append(el("h3", e.name || uscc), el("div", uscc, { class: "uscc" }));
    if (detail.risk && detail.risk.class) {
      const cls = el("span", detail.risk.class + " 类 · " + detail.risk.label, { class: "cls" });
      cls.style.background = detail.risk.hex;
      box.append(cls);
      const reasons = el("ul");
      (detail.risk.reasons.length ? detail.risk.reasons : [{ text: "无失信、违法记录" }]).forEach((r) => reasons.append(el("li", r.text)));
      box.append(reasons);
    } else if (!cfg.seesClasses) {
      box.append(el("div", "风险类别：非公开"));
    }
    box.append(el("div", [e.industry_label, e.status].filter(Boolean).join(" · ")));
    return box;
  }

  map.on("click", "entities", (ev) => {
    const f = ev.features[0];
    const uscc = f.properties.uscc;
    const popup = new maplibregl.Popup({ maxWidth: "320px" }).setLngLat(f.geometry.coordinates)
      .setDOMContent(el("div", "加载中…")).addTo(map);
    fetch("/api/v1/enterprises/" + encodeURIComponent(uscc)).then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((d) => popup.setDOMContent(popupContent(uscc, d)))
      .catch(() => popup.setDOMContent(popupContent(uscc, { enterprise: { name: f.properties.name } })));
  });
  map.on("click", "aggregates", (ev) => map.easeTo({ center: ev.lngLat, zoom: Math.max(map.getZoom() + 2, 15) }));
  ["entities", "aggregates"].forEach((id) => {
    map.on("mouseenter", id, () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", id, () => { map.getCanvas().style.cursor = ""; });
  });

  // ---- place search (degrades to a note if the service is missing)
  function placeList(body) {
    const items = Array.isArray(body) ? body : (body.results || body.items || body.places || body.features || []);
    return items.map((p) => {
      const props = p.properties || p;
      const coords = p.geometry && p.geometry.coordinates;
      const lon = props.lon !== undefined ? props.lon : coords && coords[0];
      const lat = props.lat !== undefined ? props.lat : coords && coords[1];
      return { name: props.name || props.label || props.standard_text || props.address || "", lon, lat };
    }).filter((p) => typeof p.lon === "number" && typeof p.lat === "number");
  }

  document.getElementById("search").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = document.getElementById("q").value.trim();
    const note = document.getElementById("search-note");
    const results = document.getElementById("results");
    results.replaceChildren();
    if (!q) return;
    note.textContent = "搜索中…";
    fetch("/api/v1/places?q=" + encodeURIComponent(q)).then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((body) => {
        const places = placeList(body);
        note.textContent = places.length ? "" : "未找到";
        places.slice(0, 20).forEach((p) => {
          const b = el("button", p.name, { type: "button" });
          b.addEventListener("click", () => map.flyTo({ center: [p.lon, p.lat], zoom: 17 }));
          const li = el("li"); li.append(b); results.append(li);
        });
        if (places.length) map.flyTo({ center: [places[0].lon, places[0].lat], zoom: 17 });
      })
      .catch(() => { note.textContent = "地点搜索暂不可用"; });
  });

  map.on("load", () => { applyFilters(); loadSummary(); });
})();
