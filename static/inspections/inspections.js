// 双随机抽查页面: plans, the draw on the map (coloured by risk class), teams, routes, progress.
// Every text from the server goes in through textContent; nothing is loaded from outside this site.
(function () {
  "use strict";
  const CLASS_COLOURS = { A: "#2e7d32", B: "#f9a825", C: "#ef6c00", D: "#c62828" };
  const CLASS_LABELS = { A: "A 诚信守法", B: "B 一般失信", C: "C 严重失信", D: "D 吊销/黑名单" };
  const csrf = document.querySelector('meta[name="csrf-token"]');
  const $ = (id) => document.getElementById(id);
  let map = null;
  let currentDraw = null;

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  async function api(url, options) {
    const opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
    if (opts.body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      if (csrf) opts.headers["X-CSRF-Token"] = csrf.content;
      opts.body = JSON.stringify(opts.body);
    }
    const resp = await fetch(url, opts);
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(data.message || resp.statusText);
    return data;
  }

  function status(text, isError) {
    $("status").textContent = text;
    $("status").className = isError ? "error" : "";
  }

  async function loadCatalogue() {
    const data = await api("/api/v1/inspection-items");
    const box = $("dept-box");
    data.departments.forEach((dept, i) => {
      const wrap = el("div", null, { class: "dept" });
      const label = el("label");
      const check = el("input", null, { type: "checkbox", name: "department", value: dept.name });
      if (i === 0) check.checked = true;
      label.append(check, document.createTextNode(" " + dept.short));
      const items = el("div", null, { class: "items" });
      dept.items.forEach((item, j) => {
        const il = el("label", null, { title: item.basis });
        const ic = el("input", null, { type: "checkbox", name: "item", value: item.id });
        if (i === 0 && j < 2) ic.checked = true;
        il.append(ic, document.createTextNode(" " + item.name + "（" + item.basis + "）"));
        items.appendChild(il);
      });
      wrap.append(label, items);
      box.appendChild(wrap);
    });
  }

  async function loadScope() {
    const data = await api("/api/v1/inspection-scope-options");
    const select = $("street-select");
    data.areas.filter((a) => a.level === "street").forEach((a) => select.appendChild(el("option", a.name, { value: a.code })));
  }

  async function loadPlans(selectId) {
    const data = await api("/api/v1/inspection-plans");
    const select = $("plan-select");
    select.replaceChildren();
    data.plans.forEach((p) => {
      const opt = el("option", "#" + p.id + " " + p.name + (p.current_draw_id ? "（已抽取）" : "（未抽取）"), { value: p.id });
      opt.dataset.draw = p.current_draw_id || "";
      select.appendChild(opt);
    });
    if (selectId) select.value = String(selectId);
    await showSelectedPlan();
  }

  async function showSelectedPlan() {
    const opt = $("plan-select").selectedOptions[0];
    if (opt && opt.dataset.draw) await loadDraw(Number(opt.dataset.draw));
    else { $("draw-info").hidden = true; clearMap(); document.body.dataset.ready = "1"; }
  }

  function planPayload(form) {
    const fd = new FormData(form);
    const street = fd.get("street");
    const industries = String(fd.get("industries") || "").split(/[,，\s]+/).filter(Boolean);
    const scope = street ? { streets: [street] } : { district: true };
    if (industries.length) scope.industries = industries;
    return {
      name: fd.get("name"), scope, items: fd.getAll("item"), departments: fd.getAll("department"),
      ratios: { A: Number(fd.get("A")), B: Number(fd.get("B")), C: Number(fd.get("C")), D: 100 },
      team_size: Number(fd.get("team_size")),
      period_start: fd.get("period_start") || null, period_end: fd.get("period_end") || null,
    };
  }

  async function createPlan(event) {
    event.preventDefault();
    $("form-error").textContent = "";
    try {
      const plan = await api("/api/v1/inspection-plans", { method: "POST", body: planPayload(event.target) });
      status("已创建计划 #" + plan.id);
      await loadPlans(plan.id);
    } catch (err) { $("form-error").textContent = err.message; }
  }

  async function drawPlan(reason) {
    const planId = $("plan-select").value;
    if (!planId) return status("请先创建计划", true);
    try {
      const draw = await api("/api/v1/inspection-plans/" + planId + "/draws", { method: "POST", body: reason ? { reason } : {} });
      status("抽取完成：第 " + draw.id + " 次抽取");
      await loadPlans(planId);
    } catch (err) { status(err.message, true); }
  }

  async function verifyDraw() {
    if (!currentDraw) return status("当前计划尚未抽取", true);
    try {
      const check = await api("/api/v1/inspection-draws/" + currentDraw + "/verify");
      status(check.message, !check.ok);
    } catch (err) { status(err.message, true); }
  }

  function showCounts(summary) {
    const body = $("counts").querySelector("tbody");
    body.replaceChildren();
    Object.keys(CLASS_LABELS).forEach((c) => {
      const tr = el("tr");
      const name = el("td");
      name.append(el("span", null, { class: "swatch", style: "background:" + CLASS_COLOURS[c] }), document.createTextNode(CLASS_LABELS[c]));
      tr.append(name, el("td", summary.population[c]), el("td", summary.drawn[c]), el("td", summary.ratios_bp[c] / 100 + "%"));
      body.appendChild(tr);
    });
    $("progress").textContent = "进度：已录入 " + summary.progress.done + " / " + summary.progress.total +
      (summary.unassigned.length ? "；无法回避冲突未分配 " + summary.unassigned.length + " 户" : "");
    $("seed").textContent = summary.seed_hex + "（算法 " + summary.algorithm_version + "）";
  }

  function showTeams(summary, routes) {
    const lengths = {};
    routes.features.forEach((f) => { lengths[f.properties.team] = f.properties.length_m; });
    const list = $("teams");
    list.replaceChildren();
    summary.teams.forEach((t) => {
      const names = t.inspectors.map((i) => (i.name || i.id) + (i.department ? "（" + i.department.replace(/^重庆市渝北区/, "") + "）" : "")).join("、");
      const km = lengths[t.no] !== undefined ? "，路线 " + (lengths[t.no] / 1000).toFixed(1) + " 公里（直线）" : "";
      const li = el("li", "第" + t.no + "组：" + names + " — " + t.done + "/" + t.entities + " 户" + km);
      li.addEventListener("click", () => highlightTeam(t.no, li));
      list.appendChild(li);
    });
  }

  function highlightTeam(no, li) {
    document.querySelectorAll("#teams li").forEach((n) => n.classList.remove("active"));
    li.classList.add("active");
    if (map && map.getLayer("routes-active")) map.setFilter("routes-active", ["==", ["get", "team"], no]);
  }

  async function loadDraw(drawId) {
    currentDraw = drawId;
    const base = "/api/v1/inspection-draws/" + drawId;
    const [summary, features, routes] = await Promise.all([api(base), api(base + "/features"), api(base + "/routes?format=geojson")]);
    $("draw-info").hidden = false;
    showCounts(summary);
    showTeams(summary, routes);
    $("export-csv").href = base + "/routes?format=csv";
    $("export-geojson").href = base + "/routes?format=geojson";
    await mapReady;
    setData("entities", features);
    setData("routes", routes);
    fitTo(features);
    if (map) map.once("idle", () => {
      document.body.dataset.rendered = String(map.queryRenderedFeatures({ layers: ["entities"] }).length);
    });
    document.body.dataset.features = String(features.features.length);
    document.body.dataset.ready = "1";
  }

  let resolveMap;
  const mapReady = new Promise((resolve) => { resolveMap = resolve; });

  function initMap() {
    if (typeof maplibregl === "undefined") { resolveMap(); return; }
    try {
      map = new maplibregl.Map({
        container: "map", center: [106.63, 29.72], zoom: 11, attributionControl: false,
        style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef0ea" } }] },
      });
    } catch (err) { map = null; resolveMap(); return; }
    map.on("load", () => {
      const empty = { type: "FeatureCollection", features: [] };
      map.addSource("routes", { type: "geojson", data: empty });
      map.addSource("entities", { type: "geojson", data: empty });
      map.addLayer({ id: "routes", type: "line", source: "routes", paint: { "line-color": "#3f6fb5", "line-width": 1.5, "line-opacity": 0.6 } });
      map.addLayer({ id: "routes-active", type: "line", source: "routes", filter: ["==", ["get", "team"], -1], paint: { "line-color": "#0d47a1", "line-width": 4 } });
      map.addLayer({
        id: "entities", type: "circle", source: "entities",
        paint: {
          "circle-radius": 5, "circle-stroke-width": ["case", ["has", "outcome"], 2, 0.5], "circle-stroke-color": "#222",
          "circle-color": ["match", ["get", "risk_class"], "A", CLASS_COLOURS.A, "B", CLASS_COLOURS.B, "C", CLASS_COLOURS.C, "D", CLASS_COLOURS.D, "#888"],
        },
      });
      map.on("click", "entities", (e) => {
        const p = e.features[0].properties;
        const box = el("div");
        box.append(el("strong", p.name), el("br"), document.createTextNode(p.uscc + " · " + CLASS_LABELS[p.risk_class] + " · 第" + p.team + "组"));
        new maplibregl.Popup().setLngLat(e.lngLat).setDOMContent(box).addTo(map);
      });
      resolveMap();
    });
  }

  function setData(id, data) { if (map && map.getSource(id)) map.getSource(id).setData(data); }
  function clearMap() { setData("entities", { type: "FeatureCollection", features: [] }); setData("routes", { type: "FeatureCollection", features: [] }); }

  function fitTo(fc) {
    if (!map || !fc.features.length) return;
    const xs = fc.features.map((f) => f.geometry.coordinates[0]);
    const ys = fc.features.map((f) => f.geometry.coordinates[1]);
    map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 30, duration: 0, maxZoom: 15 });
  }

  async function start() {
    initMap();
    $("plan-form").addEventListener("submit", createPlan);
    $("plan-select").addEventListener("change", () => showSelectedPlan().catch((e) => status(e.message, true)));
    $("draw-btn").addEventListener("click", () => drawPlan(null));
    $("redraw-btn").addEventListener("click", () => {
      const reason = window.prompt("重新抽取须填写理由（将记入审计日志）：");
      if (reason) drawPlan(reason);
    });
    $("verify-btn").addEventListener("click", verifyDraw);
    try {
      await Promise.all([loadCatalogue(), loadScope()]);
      await loadPlans();
    } catch (err) { status(err.message, true); document.body.dataset.ready = "1"; }
  }

  start();
})();
