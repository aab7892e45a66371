// 双随机抽查结果公示: public fields only, rendered with textContent.
(function () {
  "use strict";
  const PAGE = 100;
  let offset = 0;
  const body = document.querySelector("#results tbody");

  function cell(text) { const td = document.createElement("td"); td.textContent = text === null || text === undefined ? "" : String(text); return td; }

  async function load() {
    const resp = await fetch("/api/v1/inspection-results/public?limit=" + PAGE + "&offset=" + offset, { credentials: "same-origin" });
    const data = await resp.json();
    if (!resp.ok) { document.getElementById("summary").textContent = data.message || "加载失败"; return; }
    data.results.forEach((r) => {
      const tr = document.createElement("tr");
      const depts = (r.departments || []).map((d) => d.replace(/^重庆市渝北区/, "")).join("、");
      tr.append(cell(r.inspected_on), cell(r.enterprise_name), cell(r.uscc), cell(r.plan_name), cell(depts),
        cell((r.items_checked || []).join("、")), cell(r.outcome_label));
      body.appendChild(tr);
    });
    offset += data.results.length;
    document.getElementById("summary").textContent = "共 " + data.total + " 条抽查结果，已显示 " + offset + " 条";
    document.getElementById("more").hidden = offset >= data.total;
    document.body.dataset.ready = "1";
  }

  document.getElementById("more").addEventListener("click", load);
  load();
})();
