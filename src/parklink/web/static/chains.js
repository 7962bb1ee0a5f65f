// parklink chain explorer and park-page chain diagnosis.
// Reads its configuration from <script type="application/json" id="chain-config"> (CSP: no inline
// scripts). The diagnosis comes either embedded ("view") or from the jobs API ("submit": POST the
// parameters, poll /api/jobs/{id} with a progress bar, then GET /api/jobs/{id}/result).
(function () {
  "use strict";
  var ACTIONS = ["build", "supplement", "extend", "strengthen"];
  var plotConfig = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["toImage", "sendDataToCloud"] };
  var zhFirst = (document.documentElement.getAttribute("lang") || "zh").indexOf("zh") === 0;
  var labels = {};

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }
  function both(zh, en) {
    if (zh === null || zh === undefined) { zh = ""; }
    if (en === null || en === undefined) { en = ""; }
    if (!en || en === zh) { return String(zh); }
    if (!zh) { return String(en); }
    return zhFirst ? zh + " " + en : en + " " + zh;
  }
  function L(key) { var p = labels[key]; return p ? both(p[0], p[1]) : key; }
  function fmt(v, digits) {
    if (v === null || v === undefined || (typeof v === "number" && !isFinite(v))) { return "—"; }
    if (typeof v === "number") { return v.toLocaleString(zhFirst ? "zh-CN" : "en", { maximumFractionDigits: digits === undefined ? 2 : digits }); }
    return String(v);
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); }); }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  function fillTable(table, head, rows) {
    if (!table) { return; }
    table.textContent = "";
    var thead = el("thead"), tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", { scope: "col" }, h)); });
    thead.appendChild(tr);
    table.appendChild(thead);
    var tbody = el("tbody");
    rows.forEach(function (r) {
      var row = el("tr");
      r.forEach(function (c, i) { row.appendChild(el(i === 0 ? "th" : "td", i === 0 ? { scope: "row" } : null, c)); });
      tbody.appendChild(row);
    });
    table.appendChild(tbody);
    table.hidden = false;
  }

  // ---------------------------------------------------------------- diagram interactions
  function bindDiagram() {
    var svg = document.getElementById("chain-svg");
    if (!svg) { return; }
    var edges = svg.querySelectorAll("path.edge");
    function highlight(id) {
      edges.forEach(function (p) {
        var on = id && (p.getAttribute("data-from") === id || p.getAttribute("data-to") === id);
        p.classList.toggle("hl", !!on);
      });
      svg.querySelectorAll("a.seg").forEach(function (a) { a.classList.toggle("sel", a.getAttribute("data-segment") === id); });
    }
    svg.querySelectorAll("a.seg").forEach(function (a) {
      var id = a.getAttribute("data-segment");
      a.addEventListener("focus", function () { highlight(id); });
      a.addEventListener("mouseenter", function () { highlight(id); });
      a.addEventListener("click", function () {
        var row = document.getElementById("seg-" + id);
        if (row) { window.setTimeout(function () { row.focus(); }, 0); }
      });
    });
    svg.addEventListener("mouseleave", function () { highlight(null); });
  }

  // ---------------------------------------------------------------- rendering a diagnosis
  function segName(view, id) {
    var s = (view.segments || []).filter(function (x) { return x.segment_id === id; })[0];
    if (s) { return both(s.name_zh, s.name_en); }
    var row = document.getElementById("seg-" + id);
    if (row) { var th = row.querySelector("th"); if (th) { return th.textContent.split("\n")[0].trim(); } }
    return id;
  }

  function drawSankey(view, year) {
    var box = document.getElementById("sankey");
    if (!box || typeof Plotly === "undefined") { return; }
    var flows = (view.flows || []).filter(function (f) { return Number(f.year) === Number(year); });
    var table = document.getElementById("flows-table");
    if (!flows.length) {
      Plotly.purge(box);
      box.textContent = L("no_flows");
      if (table) { table.hidden = true; }
      document.documentElement.setAttribute("data-sankey-ready", "empty");
      return;
    }
    box.textContent = "";
    var nodeLabels = [L("sc_sup"), L("cq_sup"), L("sc_buy"), L("cq_buy")];
    var colors = ["#1d4ed8", "#b91c1c", "#1d4ed8", "#b91c1c"];
    var segIndex = {};
    var links = {};
    function add(s, t, v) { var k = s + ">" + t; links[k] = (links[k] || 0) + v; }
    flows.forEach(function (f) {
      var seg = f.segment_id || "unassigned";
      if (!(seg in segIndex)) { segIndex[seg] = nodeLabels.length; nodeLabels.push(segName(view, seg)); colors.push("#6b7280"); }
      var v = Number(f.value_kcny) || 0;
      if (f.direction === "SC→CQ") { add(0, segIndex[seg], v); add(segIndex[seg], 3, v); }
      else if (f.direction === "CQ→SC") { add(1, segIndex[seg], v); add(segIndex[seg], 2, v); }
    });
    var src = [], dst = [], val = [], lc = [];
    Object.keys(links).forEach(function (k) {
      var p = k.split(">");
      var s = Number(p[0]), t = Number(p[1]);
      src.push(s); dst.push(t); val.push(links[k]);
      var fromSc = (s === 0) || (t === 3);  // SC→CQ: SC suppliers → segment → CQ buyers
      lc.push(fromSc ? "rgba(29,78,216,0.35)" : "rgba(185,28,28,0.35)");
    });
    var data = [{
      type: "sankey", arrangement: "snap", valueformat: ",.0f", valuesuffix: " k CNY",
      node: { label: nodeLabels, color: colors, pad: 12, thickness: 16, line: { width: 0 } },
      link: { source: src, target: dst, value: val, color: lc }
    }];
    var layout = {
      title: { text: L("flow_title") + " · " + year + (view.synthetic ? " · " + (zhFirst ? "合成数据 synthetic" : "synthetic 合成数据") : ""), font: { size: 14 } },
      margin: { l: 8, r: 8, t: 40, b: 8 }, height: Math.max(340, 26 * (nodeLabels.length - 4) + 80),
      font: { size: 12 }
    };
    Plotly.purge(box);  // react() between two Sankeys leaves the links undrawn: redraw
    Plotly.newPlot(box, data, layout, plotConfig).then(function () {
      document.documentElement.setAttribute("data-sankey-ready", "1");
    });
    if (table) {
      fillTable(table, [L("segment"), L("direction"), L("value"), L("tx")], flows.map(function (f) {
        return [segName(view, f.segment_id), f.direction, fmt(f.value_kcny, 0), fmt(f.n_tx, 0)];
      }));
    }
  }

  function bindFlowYears(view) {
    var sel = document.getElementById("flow-year");
    var years = view.flow_years || [];
    var pick = years.indexOf(view.year) >= 0 ? view.year : years[years.length - 1];
    if (sel) {
      sel.textContent = "";
      years.forEach(function (y) { var o = el("option", { value: String(y) }, String(y)); if (y === pick) { o.selected = true; } sel.appendChild(o); });
      sel.disabled = !years.length;
      sel.onchange = function () { drawSankey(view, Number(sel.value)); };
    }
    drawSankey(view, pick === undefined ? view.year : pick);
  }

  function colourDiagram(view) {
    var svg = document.getElementById("chain-svg");
    var bySeg = {};
    (view.segments || []).forEach(function (s) { bySeg[s.segment_id] = s; });
    if (svg) {
      svg.querySelectorAll("a.seg").forEach(function (a) {
        var s = bySeg[a.getAttribute("data-segment")];
        ["present", "missing"].concat(ACTIONS.map(function (x) { return "act-" + x; })).forEach(function (c) { a.classList.remove(c); });
        var cnt = a.querySelector("text.cnt");
        if (!s) { if (cnt) { cnt.textContent = ""; } return; }
        a.classList.add(s.present ? "present" : "missing");
        if (s.action && s.action !== "none") { a.classList.add("act-" + s.action); }
        if (cnt) { cnt.textContent = String(s.n_firms || 0); }
        var title = a.querySelector("title");
        if (title) {
          title.textContent = both(s.name_zh, s.name_en) + " — " + L("firms") + " " + (s.n_firms || 0) +
            (s.action && s.action !== "none" ? " — " + both(s.action_zh, s.action) : "");
        }
      });
    }
    document.querySelectorAll("#segments-table tr[data-segment]").forEach(function (tr) {
      var s = bySeg[tr.getAttribute("data-segment")];
      var f = tr.querySelector(".seg-firms"), a = tr.querySelector(".seg-action");
      if (f) { f.textContent = s ? fmt(s.n_firms, 0) + (s.n_leaders ? " (" + L("leaders") + " " + s.n_leaders + ")" : "") : "—"; }
      if (a) { a.textContent = s && s.action && s.action !== "none" ? both(s.action_zh, s.action) : (s ? "—" : "—"); }
    });
  }

  function render(view, root) {
    var doc = root || document;
    var note = doc.querySelector("#synthetic-note");
    if (note) { note.hidden = !view.synthetic; note.textContent = view.synthetic ? L("synthetic") : ""; }
    var meta = doc.querySelector("#diag-meta");
    if (meta && view.scope) {
      meta.textContent = L("scope") + ": " + both(view.scope.name_zh, view.scope.name_en) + " · " + L("year") + ": " +
        view.year + " · " + L("engine") + ": " + (view.engine || "");
    }
    var chainNames = readJson("chain-names") || {};
    fillTable(doc.querySelector("#completeness-table"),
      [L("chain"), L("n_present"), L("n_segments"), L("completeness"), L("depth")],
      (view.completeness || []).map(function (c) {
        var n = chainNames[c.chain];
        return [n ? both(n[0], n[1]) : c.chain, fmt(c.n_present, 0), fmt(c.n_segments, 0), fmt(c.completeness, 3), fmt(c.completeness_depth, 3)];
      }));
    var gh = doc.querySelector("#h-gaps");
    if (gh) { gh.hidden = false; }
    var gaps = (view.gaps || []).slice().sort(function (a, b) { return (b.priority || 0) - (a.priority || 0); });
    if (view.top_gaps) {  // the park page: the first gaps of each chain only
      var seen = {};
      gaps = gaps.filter(function (g) { seen[g.chain] = (seen[g.chain] || 0) + 1; return seen[g.chain] <= view.top_gaps; });
    }
    var gt = doc.querySelector("#gaps-table");
    if (gaps.length) {
      fillTable(gt, [L("segment"), L("chain"), L("gap"), L("action"), L("firms"), L("demand"), L("priority")], gaps.map(function (g) {
        var n = chainNames[g.chain];
        return [both(g.name_zh, g.name_en), n ? both(n[0], n[1]) : g.chain, both(g.gap_zh, g.gap_type),
          both(g.action_zh, g.action), fmt(g.n_firms, 0), fmt(g.local_demand_kcny, 0), fmt(g.priority, 3)];
      }));
    } else if (gt) {
      gt.hidden = false; gt.textContent = "";
      var cap = el("caption", null, L("no_gaps")); gt.appendChild(cap);
    }
    var lh = doc.querySelector("#h-lsr");
    var lt = doc.querySelector("#lsr-table");
    if (lt && view.lsr && view.lsr.length) {
      if (lh) { lh.hidden = false; }
      fillTable(lt, [L("chain"), L("lsr_scope"), L("lsr_own"), L("lsr_circle"), L("delta_lsr"), L("coverage")],
        view.lsr.map(function (r) {
          return [both(r.chain_zh, r.chain_en), fmt(r.lsr_scope, 3), fmt(r.lsr_own_province, 3), fmt(r.lsr_circle, 3),
            fmt(r.delta_lsr, 3), fmt(r.coverage_value, 3)];
        }));
    }
    var th = doc.querySelector("#h-targets");
    var tt = doc.querySelector("#targets-table");
    if (tt && view.targets && view.targets.length) {
      if (th) { th.hidden = false; }
      fillTable(tt, [L("segment"), L("rank"), L("firm"), L("province"), L("score"), L("reason")],
        view.targets.map(function (r) {
          return [segName(view, r.segment_id), fmt(r.rank, 0), r.enterprise_id, r.province, fmt(r.score, 3), r.reason || ""];
        }));
    }
    document.querySelectorAll(".diag-downloads").forEach(function (p) { p.hidden = false; });
    colourDiagram(view);
    bindFlowYears(view);
    document.documentElement.setAttribute("data-diagnosis-ready", "1");
  }

  function showError(message) {
    var box = document.getElementById("diag-error");
    if (box) { box.hidden = false; box.textContent = L("error") + ": " + message; }
    var st = document.getElementById("job-status");
    if (st) { st.hidden = true; }
    var sk = document.getElementById("sankey");
    if (sk) { sk.textContent = L("error"); }
    document.documentElement.setAttribute("data-diagnosis-ready", "error");
  }

  // A job result may be the view itself, or wrap it ("view"), or carry the tables ("tables").
  function toView(result, cfg) {
    if (!result) { return null; }
    if (result.result && result.job_id) { result = result.result; }  // GET /api/jobs/{id}/result wraps it
    if (result.view) { return result.view; }
    if (result.segments) { return result; }
    if (result.tables && result.tables.segments) {
      var t = result.tables;
      var chains = cfg.chain ? [cfg.chain] : null;
      function keep(rows) { return (rows || []).filter(function (r) { return !chains || chains.indexOf(r.chain) >= 0; }); }
      var flows = keep(t.flows).filter(function (f) { return f.cross_border === undefined || f.cross_border; });
      var years = {};
      flows.forEach(function (f) { years[f.year] = 1; });
      return {
        scope: (result.scopes || [])[0] || null, year: result.year, engine: result.engine, synthetic: !!result.synthetic,
        segments: keep(t.segments), completeness: keep(t.completeness), gaps: keep(t.gaps), flows: flows,
        flow_years: Object.keys(years).map(Number).sort()
      };
    }
    return null;
  }

  function csrfHeaders() {
    var h = { "Content-Type": "application/json", "Accept": "application/json" };
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) { h["X-CSRF-Token"] = meta.content; }
    return h;
  }

  function runJob(cfg) {
    var st = document.getElementById("job-status"), bar = document.getElementById("job-progress"),
      msg = document.getElementById("job-message");
    if (st) { st.hidden = false; }
    var body = { scope: cfg.scope };
    if (cfg.chain) { body.chain = cfg.chain; }
    if (cfg.year) { body.year = cfg.year; }
    if (cfg.detail) { body.detail = cfg.detail; }
    function json(r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { throw new Error((j && j.detail) || ("HTTP " + r.status)); }
        return j;
      });
    }
    function progress(info) {
      if (bar) { bar.value = Number(info.progress) || 0; }
      if (msg) { msg.textContent = info.message || L(info.status) || ""; }
    }
    function poll(id, delay) {
      return new Promise(function (resolve) { window.setTimeout(resolve, delay); })
        .then(function () { return fetch(cfg.jobs + encodeURIComponent(id), { credentials: "same-origin" }); })
        .then(json)
        .then(function (info) {
          progress(info);
          if (info.status === "done") {
            return fetch(cfg.jobs + encodeURIComponent(id) + "/result", { credentials: "same-origin" }).then(json);
          }
          if (info.status === "failed") { throw new Error(info.error || L("failed")); }
          return poll(id, Math.min(delay * 1.5, 2000));
        });
    }
    fetch(cfg.submit, { method: "POST", credentials: "same-origin", headers: csrfHeaders(), body: JSON.stringify(body) })
      .then(json)
      .then(function (info) {
        progress(info);
        if (info.status === "done") {
          return fetch(cfg.jobs + encodeURIComponent(info.job_id) + "/result", { credentials: "same-origin" }).then(json);
        }
        if (info.status === "failed") { throw new Error(info.error || L("failed")); }
        return poll(info.job_id, 300);
      })
      .then(function (result) {
        if (st) { st.hidden = true; }
        var view = toView(result, cfg);
        if (!view) { throw new Error("unexpected result"); }
        if (cfg.top_gaps) { view.top_gaps = cfg.top_gaps; }
        render(view);
      })
      .catch(function (err) { showError(err.message); });
  }

  function start() {
    labels = readJson("chain-labels") || {};
    bindDiagram();
    var cfg = readJson("chain-config");
    if (!cfg) { return; }
    if (cfg.error) { showError(cfg.error); return; }
    if (cfg.view) { if (cfg.top_gaps) { cfg.view.top_gaps = cfg.top_gaps; } render(cfg.view); return; }
    if (cfg.submit && cfg.jobs) { runJob(cfg); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
