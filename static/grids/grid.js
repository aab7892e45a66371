// The grid page: draws the grid, its children and its entities from MarketMap's own JSON API.
// No basemap tiles (intranets have no internet); every text goes in through textContent.
(function () {
  "use strict";
  var code = document.body.dataset.code;
  var api = "/api/v1/grids/" + encodeURIComponent(code);
  var RISK_COLOURS = { A: "#2e7d32", B: "#f2c200", C: "#ef6c00", D: "#c62828" };
  var state = { page: 1, perPage: 50, total: 0 };
  var map = new maplibregl.Map({
    container: "map",
    style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#f4f1ea" } }] },
    center: [106.5, 29.6], zoom: 12, attributionControl: false
  });
  window.gridMap = map;

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function fill(id, items) {
    var list = document.getElementById(id);
    list.replaceChildren.apply(list, items.length ? items : [el("li", "无")]);
  }
  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body.message || r.statusText);
        return body;
      });
    });
  }
  function showError(err) {
    var p = document.getElementById("grid-error");
    p.textContent = "加载失败：" + err.message;
    p.hidden = false;
  }

  function showGrid(grid) {
    document.getElementById("grid-name").textContent = grid.name;
    document.title = grid.name + " · MarketMap";
    var levels = { street: "街道", community: "社区", grid: "网格" };
    document.getElementById("grid-meta").textContent = (levels[grid.level] || grid.level) + " · 版本 " + grid.version +
      " · 面积 " + (grid.area_m2 / 1e6).toFixed(2) + " 平方千米" + (grid.parent_code ? " · 上级 " + grid.parent_code : "");
    fill("people", grid.people.map(function (p) {
      return el("li", p.name + "（" + p.department + "，" + (p.role === "supervisor" ? "网格监管员" : p.role) + "）" +
        (p.phone ? " " + p.phone : ""));
    }));
    fill("risk-counts", Object.keys(grid.enterprises_by_risk).map(function (k) {
      return el("li", k + " 类：" + grid.enterprises_by_risk[k], "risk-" + k);
    }));
    fill("complaints", [el("li", "办理中 " + grid.complaints.open), el("li", "已超期 " + grid.complaints.overdue),
      el("li", "合计 " + grid.complaints.total)]);
    fill("children", grid.children.map(function (c) {
      var li = el("li");
      var a = el("a", c.name + " " + c.code);
      a.href = "/grids/" + encodeURIComponent(c.code);
      li.appendChild(a);
      return li;
    }));
    var onLoad = function () {
      map.addSource("grid", { type: "geojson", data: { type: "Feature", geometry: grid.geometry, properties: { code: grid.code } } });
      map.addLayer({ id: "grid-fill", type: "fill", source: "grid", paint: { "fill-color": "#1f4e79", "fill-opacity": 0.12 } });
      map.addLayer({ id: "grid-line", type: "line", source: "grid", paint: { "line-color": "#1f4e79", "line-width": 2 } });
      map.addSource("entities", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
      map.addLayer({ id: "entities", type: "circle", source: "entities", paint: {
        "circle-radius": 4, "circle-stroke-width": 1, "circle-stroke-color": "#fff",
        "circle-color": ["match", ["get", "risk"], "A", RISK_COLOURS.A, "B", RISK_COLOURS.B, "C", RISK_COLOURS.C,
                         "D", RISK_COLOURS.D, "#888"] } });
      var c = grid.bbox.coordinates[0];
      map.fitBounds([c[0], c[2]], { padding: 20, duration: 0 });
      loadEnterprises();
    };
    if (map.loaded()) onLoad(); else map.once("load", onLoad);
  }

  function loadEnterprises() {
    getJSON(api + "/enterprises?page=" + state.page + "&per_page=" + state.perPage).then(function (res) {
      state.total = res.total;
      document.getElementById("enterprise-total").textContent = "共 " + res.total + " 户";
      document.getElementById("page").textContent = "第 " + state.page + " 页";
      var rows = res.items.map(function (e) {
        var tr = el("tr");
        [e.name, e.uscc, e.industry_label || "", e.risk_class || "未分级", e.near_boundary ? "是" : ""].forEach(function (v, i) {
          tr.appendChild(el("td", v, i === 3 && e.risk_class ? "risk-" + e.risk_class : null));
        });
        return tr;
      });
      var body = document.getElementById("enterprises");
      body.replaceChildren.apply(body, rows);
      map.getSource("entities").setData({ type: "FeatureCollection", features: res.items.filter(function (e) {
        return e.lon !== null && e.lon !== undefined;
      }).map(function (e) {
        return { type: "Feature", geometry: { type: "Point", coordinates: [e.lon, e.lat] },
                 properties: { risk: e.risk_class || "", name: e.name } };
      }) });
      document.body.dataset.loaded = "true";
    }).catch(showError);
  }

  document.getElementById("prev").addEventListener("click", function () {
    if (state.page > 1) { state.page -= 1; loadEnterprises(); }
  });
  document.getElementById("next").addEventListener("click", function () {
    if (state.page * state.perPage < state.total) { state.page += 1; loadEnterprises(); }
  });
  getJSON(api).then(showGrid).catch(showError);
})();
