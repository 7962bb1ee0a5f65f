// Designation planner (/planner): the next-batch panel (POST /api/analyses/next-batch) and
// the scenario planner (POST /api/analyses/designation) share one job runner: submit, follow
// the progress, draw the result. No inline script (CSP 'self').
(function () {
  "use strict";
  var form = document.getElementById("planner-form");
  if (!form) { return; }
  var zhFirst = (document.documentElement.getAttribute("lang") || "zh").indexOf("zh") === 0;
  var scenarios = JSON.parse(document.getElementById("scenarios-data").textContent || "{}");
  var canChange = form.getAttribute("data-can-change") === "1";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var $ = function (id) { return document.getElementById(id); };
  var POLL_MS = 400;

  // ---- bilingual text nodes, the page's language first (same markup as the server's B()).
  function bi(zh, en) {
    var frag = document.createDocumentFragment();
    var first = zhFirst ? [zh, "zh-Hans"] : [en, "en"];
    var second = zhFirst ? [en, "en"] : [zh, "zh-Hans"];
    var a = document.createElement("span");
    a.lang = first[1];
    a.textContent = first[0] == null ? "" : String(first[0]);
    frag.appendChild(a);
    if (second[0] != null && String(second[0]) !== "" && String(second[0]) !== String(first[0])) {
      frag.appendChild(document.createTextNode(" "));
      var b = document.createElement("span");
      b.lang = second[1];
      b.className = "alt";
      b.textContent = String(second[0]);
      frag.appendChild(b);
    }
    return frag;
  }
  function biText(zh, en) { return zhFirst ? zh + " " + en : en + " " + zh; }
  function cell(tag, content) {
    var el = document.createElement(tag);
    if (content instanceof Node) { el.appendChild(content); } else { el.textContent = content == null ? "—" : String(content); }
    return el;
  }
  function clear(el) { while (el.firstChild) { el.removeChild(el.firstChild); } }
  var PROVINCES = { SC: ["四川", "Sichuan"], CQ: ["重庆", "Chongqing"] };
  var CHANGES = {
    only_a: ["仅A入选", "only in A"], only_b: ["仅B入选", "only in B"],
    earlier_in_b: ["B中更早", "earlier in B"], later_in_b: ["B中更晚", "later in B"]
  };

  // ---- form <-> scenario parameters
  function numberOrNull(id) {
    var el = $(id);
    if (!el || el.value === "") { return null; }
    var v = Number(el.value);
    return isFinite(v) ? v : null;
  }
  function ids(text) {
    return text.split(/[,，;；\s]+/).map(function (s) { return s.trim(); }).filter(Boolean);
  }
  function fill(name) {
    var p = scenarios[name];
    if (!p) { return; }
    var years = Object.keys(p.targets || {}).sort();
    for (var i = 0; i < 4; i++) {
      $("t-year-" + i).value = i < years.length ? years[i] : "";
      $("t-count-" + i).value = i < years.length ? p.targets[years[i]] : "";
    }
    $("c-share").value = p.min_province_share;
    document.querySelectorAll(".c-min").forEach(function (el) {
      var v = (p.min_per_province || {})[el.getAttribute("data-province")];
      el.value = v == null ? "" : v;
    });
    document.querySelectorAll(".c-area").forEach(function (el) {
      var v = (p.area_type_min_share || {})[el.getAttribute("data-area")];
      el.value = v == null ? "" : v;
    });
    $("c-hours").value = p.max_pair_hours;
    $("c-pairing").checked = !!p.require_pairing;
    $("c-time").value = p.time_limit;
    $("c-in").value = (p.forced_in || []).join(", ");
    $("c-out").value = (p.forced_out || []).join(", ");
  }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
  function constraints(base) {
    // only what differs from the chosen scenario (an unchanged scenario is a public run)
    var out = {};
    var targets = {};
    for (var i = 0; i < 4; i++) {
      var y = numberOrNull("t-year-" + i), n = numberOrNull("t-count-" + i);
      if (y !== null && n !== null) { targets[String(y)] = n; }
    }
    var baseTargets = {};
    Object.keys(base.targets || {}).forEach(function (k) { baseTargets[k] = base.targets[k]; });
    if (!same(sortKeys(targets), sortKeys(baseTargets))) { out.targets = targets; }
    var share = numberOrNull("c-share");
    if (share !== null && share !== base.min_province_share) { out.min_province_share = share; }
    var mins = {};
    document.querySelectorAll(".c-min").forEach(function (el) {
      if (el.value !== "") { mins[el.getAttribute("data-province")] = Number(el.value); }
    });
    if (!same(sortKeys(mins), sortKeys(base.min_per_province || {}))) { out.min_per_province = mins; }
    var areas = {};
    document.querySelectorAll(".c-area").forEach(function (el) {
      if (el.value !== "") { areas[el.getAttribute("data-area")] = Number(el.value); }
    });
    if (!same(sortKeys(areas), sortKeys(base.area_type_min_share || {}))) { out.area_type_min_share = areas; }
    var hours = numberOrNull("c-hours");
    if (hours !== null && hours !== base.max_pair_hours) { out.max_pair_hours = hours; }
    if ($("c-pairing").checked !== !!base.require_pairing) { out.require_pairing = $("c-pairing").checked; }
    var time = numberOrNull("c-time");
    if (time !== null && time !== base.time_limit) { out.time_limit = time; }
    var fin = ids($("c-in").value), fout = ids($("c-out").value);
    if (!same(fin, base.forced_in || [])) { out.forced_in = fin; }
    if (!same(fout, base.forced_out || [])) { out.forced_out = fout; }
    return out;
  }
  function sortKeys(o) {
    var r = {};
    Object.keys(o).sort().forEach(function (k) { r[k] = o[k]; });
    return r;
  }
  function scoring() {
    var s = { method: $("p-method").value };
    if ($("p-weighting").value === "given") {
      var w = {};
      document.querySelectorAll(".p-weight").forEach(function (el) {
        if (el.value !== "" && Number(el.value) > 0) { w[el.getAttribute("data-key")] = Number(el.value); }
      });
      s.weights = w;
    } else {
      s.weighting = $("p-weighting").value;
    }
    return s;
  }
  function weightingChanged() {
    var given = $("p-weighting").value === "given";
    document.querySelectorAll(".p-weight").forEach(function (el) { el.disabled = !given; });
  }

  // ---- status and errors
  // ``ui``: which panel a job belongs to — element id prefix, state attribute on <html>, drawer.
  var PLANNER = { prefix: "p", attr: "data-planner", draw: null };
  function showErrors(list, ui) {
    var box = $((ui || PLANNER).prefix + "-errors");
    clear(box);
    if (!list.length) { box.hidden = true; return; }
    var ul = document.createElement("ul");
    list.forEach(function (e) { ul.appendChild(cell("li", e)); });
    box.appendChild(ul);
    box.hidden = false;
  }
  function setStatus(progress, message, state, ui) {
    var p = (ui || PLANNER).prefix;
    $(p + "-status").hidden = false;
    $(p + "-progress").value = progress;
    $(p + "-message").textContent = message || "";
    document.documentElement.setAttribute((ui || PLANNER).attr, state);
  }

  // ---- results
  function parkName(r) { return bi(r.name_zh || r.park_id, r.name_en || r.park_id); }
  function drawPlan(res) {
    var tbody = $("p-plan").querySelector("tbody");
    clear(tbody);
    (res.plan || []).forEach(function (r) {
      var tr = document.createElement("tr");
      if (r.designated) { tr.className = "selected"; }
      var th = cell("th", parkName(r));
      th.scope = "row";
      var code = document.createElement("code");
      code.textContent = " " + r.park_id;
      th.appendChild(code);
      tr.appendChild(th);
      var pn = PROVINCES[r.province] || [r.province, r.province];
      tr.appendChild(cell("td", bi(pn[0], pn[1])));
      tr.appendChild(cell("td", r.score == null ? "—" : Number(r.score).toFixed(4)));
      tr.appendChild(cell("td", r.year == null ? "—" : r.year));
      tr.appendChild(cell("td", r.designated ? bi("是", "yes") : bi("否", "no")));
      tbody.appendChild(tr);
    });
  }
  function summaryText(res) {
    var s = res.summary || {};
    if (res.status === "infeasible") { return biText("不可行", "infeasible"); }
    var parts = [biText("情景", "scenario") + " " + s.scenario, biText("状态", "status") + " " + s.status,
      biText("目标值", "objective") + " " + (s.objective == null ? "—" : Number(s.objective).toFixed(4))];
    if (s.count_by_year) {
      parts.push(Object.keys(s.count_by_year).map(function (y) { return y + ": " + s.count_by_year[y]; }).join(", "));
    }
    return parts.join(" · ");
  }
  function drawInfeasible(box, res) {
    clear(box);
    if (res.status !== "infeasible") { box.hidden = true; return; }
    box.appendChild(cell("p", res.message));
    var ul = document.createElement("ul");
    (res.conflicts || []).forEach(function (c) { ul.appendChild(cell("li", c.label)); });
    box.appendChild(ul);
    box.hidden = false;
  }
  function selection(list, res) {
    clear(list);
    (res.plan || []).filter(function (r) { return r.designated; }).forEach(function (r) {
      var li = document.createElement("li");
      li.appendChild(parkName(r));
      li.appendChild(document.createTextNode(" (" + (r.year == null ? "—" : r.year) + ")"));
      list.appendChild(li);
    });
    if (!list.firstChild) { list.appendChild(cell("li", biText("无", "none"))); }
  }
  function drawCompare(res) {
    var sec = $("p-compare-result");
    var b = res.compare;
    if (!b) { sec.hidden = true; return; }
    $("p-side-a-h").textContent = "A · " + ((res.scenario || {}).name || "");
    $("p-side-b-h").textContent = "B · " + ((b.scenario || {}).name || "");
    selection($("p-side-a"), res);
    selection($("p-side-b"), b);
    var tbody = $("p-diff").querySelector("tbody");
    clear(tbody);
    (b.differences || []).forEach(function (d) {
      var tr = document.createElement("tr");
      var th = cell("th", parkName(d));
      th.scope = "row";
      tr.appendChild(th);
      tr.appendChild(cell("td", d.year_a));
      tr.appendChild(cell("td", d.year_b));
      var ch = CHANGES[d.change] || [d.change, d.change];
      tr.appendChild(cell("td", bi(ch[0], ch[1])));
      tbody.appendChild(tr);
    });
    var c = b.comparison;
    var text = b.status === "infeasible" ? biText("情景B不可行", "scenario B is infeasible") + ": " + b.message
      : c ? biText("共同入选", "in both") + " " + c.common + " · " + biText("仅A", "only A") + " " + c.only_a.length +
        " · " + biText("仅B", "only B") + " " + c.only_b.length + " · " + biText("目标值变化", "objective change") + " " +
        Number(c.objective_change).toFixed(4)
        : biText("情景A不可行，无法比较", "scenario A is infeasible: nothing to compare");
    $("p-compare-summary").textContent = text;
    sec.hidden = false;
  }
  function drawResult(body) {
    var res = body.result;
    $("p-summary").textContent = summaryText(res);
    drawInfeasible($("p-infeasible"), res);
    drawPlan(res);
    drawCompare(res);
    $("p-result").hidden = false;
    $("p-result-h").focus();
    document.documentElement.setAttribute("data-planner", "result");
  }

  // ---- jobs API
  function api(url, options) {
    return fetch(url, options).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { status: r.status, body: body }; });
    });
  }
  function poll(ref, ui) {
    var run = $(ui.prefix + "-run");
    api(ref.status_url, { credentials: "same-origin" }).then(function (r) {
      if (r.status !== 200) { throw new Error(r.body.detail || ("HTTP " + r.status)); }
      var job = r.body;
      setStatus(job.progress, job.message, job.status, ui);
      if (job.status === "done") {
        return api(ref.result_url, { credentials: "same-origin" }).then(function (res) {
          if (res.status !== 200) { throw new Error(res.body.detail || ("HTTP " + res.status)); }
          setStatus(1, biText("完成", "done") + (ref.cached ? " · " + biText("复用已有结果", "cached result") : ""), "done", ui);
          ui.draw(res.body);
          run.disabled = false;
        });
      }
      if (job.status === "failed") {
        showErrors([job.error || biText("运行失败", "the run failed")], ui);
        run.disabled = false;
        return null;
      }
      window.setTimeout(function () { poll(ref, ui); }, POLL_MS);
      return null;
    }).catch(function (err) {
      showErrors([err.message], ui);
      setStatus(0, biText("出错", "error"), "error", ui);
      run.disabled = false;
    });
  }
  function runJob(url, body, ui, accepted) {
    // submit ``body`` to ``url`` and follow the job (the one copy of the polling code)
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    if (csrfMeta && csrfMeta.content) { headers["X-CSRF-Token"] = csrfMeta.content; }
    var run = $(ui.prefix + "-run");
    showErrors([], ui);
    run.disabled = true;
    $(ui.prefix + "-result").hidden = true;
    setStatus(0, biText("提交中", "submitting"), "submitting", ui);
    api(url, {
      method: "POST", credentials: "same-origin", headers: headers, body: JSON.stringify(body)
    }).then(function (r) {
      if (r.status === 200 || r.status === 202) {
        if (accepted) { accepted(r.body); }
        setStatus(r.body.progress || 0, r.body.message, r.body.status, ui);
        poll(r.body, ui);
        return;
      }
      var errs = (r.body.errors || []).map(function (e) {
        return (e.field ? e.field + ": " : "") + e.reason + (e.value ? " (" + e.value + ")" : "");
      });
      showErrors(errs.length ? errs : [r.body.detail || ("HTTP " + r.status)], ui);
      setStatus(0, biText("未能提交", "not submitted"), "error", ui);
      run.disabled = false;
    }).catch(function (err) {
      showErrors([err.message], ui);
      run.disabled = false;
    });
  }
  function submit(ev) {
    ev.preventDefault();
    var name = $("p-scenario").value;
    var body = { scenario: name, scoring: scoring() };
    if (canChange) { body.constraints = constraints(scenarios[name] || {}); }
    if ($("p-compare").value) { body.compare_to = $("p-compare").value; }
    var save = $("p-save");
    if (save && save.value.trim()) {
      body.save_as = save.value.trim();
      body.publish = $("p-publish").checked;
    }
    $("p-compare-result").hidden = true;
    runJob("/api/analyses/designation", body, PLANNER, function (ref) {
      if (body.save_as && !scenarios[body.save_as]) { addScenario(body.save_as, ref); }
    });
  }

  // ---- next batch (下一批): the panel shown first
  var NEXT = { prefix: "n", attr: "data-next", draw: drawNext };
  var AREA_SHARES = { critical_development: 0.2, transport_node: 0.2, adjacent: 0.2 };
  function nextBody() {
    var body = { year: numberOrNull("n-year"), count: $("n-count").value,
      require_pairing: $("n-pairing").checked, zone_coverage: $("n-zones").checked,
      area_type_min_share: $("n-areas").checked ? AREA_SHARES : {},
      focal_chains: $("n-focal").checked ? ["auto_moto", "electronics", "biomed"] : [] };
    var size = numberOrNull("n-size"), share = numberOrNull("n-share"), hours = numberOrNull("n-hours");
    if (size !== null) { body.size = size; }
    if (share !== null) { body.min_province_share = share; }
    if (hours !== null) { body.max_pair_hours = hours; }
    return body;
  }
  function drawNext(body) {
    var res = body.result;
    var s = res.summary || {};
    var box = $("n-infeasible");
    var relax = $("n-relax").querySelector("tbody");
    clear(relax);
    if (res.status === "infeasible") {
      $("n-summary").textContent = biText("不可行", "infeasible") + " · " + s.year;
      $("n-infeasible-msg").textContent = res.message;
      (res.relaxation || []).forEach(function (r) {
        var tr = document.createElement("tr");
        var th = cell("th", r.label);
        th.scope = "row";
        tr.appendChild(th);
        tr.appendChild(cell("td", r.slack == null ? "—" : Number(r.slack).toFixed(2)));
        tr.appendChild(cell("td", bi(r.text_zh, r.text_en)));
        relax.appendChild(tr);
      });
      box.hidden = false;
    } else {
      var counts = (res.counts || []).map(function (c) {
        return biText(c.unit_zh, c.unit) + " " + c.before + " + " + c.batch + " = " + c.after;
      }).join(" · ");
      $("n-summary").textContent = s.year + " · " + biText("规模", "size") + " " + s.size + " " + s.count + " · " +
        biText("目标值", "objective") + " " + (s.objective == null ? "—" : Number(s.objective).toFixed(4)) +
        (counts ? " · " + counts : "");
      box.hidden = true;
    }
    var tbody = $("n-plan").querySelector("tbody");
    clear(tbody);
    (res.proposal || []).forEach(function (r) {
      var tr = document.createElement("tr");
      tr.className = "proposed";
      var th = cell("th", parkName(r));
      th.scope = "row";
      var code = document.createElement("code");
      code.textContent = " " + r.park_id;
      th.appendChild(code);
      tr.appendChild(th);
      var pn = PROVINCES[r.province] || [r.province, r.province];
      tr.appendChild(cell("td", bi(pn[0], pn[1])));
      tr.appendChild(cell("td", r.score == null ? "—" : Number(r.score).toFixed(4)));
      tr.appendChild(cell("td", r.partner || "—"));
      var reason = cell("td", bi(r.reason_zh, r.reason_en));
      reason.className = "reason";
      tr.appendChild(reason);
      tbody.appendChild(tr);
    });
    $("n-result").hidden = false;
    $("n-result-h").focus();
    document.documentElement.setAttribute("data-next", "result");
  }
  function submitNext(ev) {
    ev.preventDefault();
    runJob("/api/analyses/next-batch", nextBody(), NEXT, null);
  }
  function addScenario(name) {
    // a scenario saved by this run becomes selectable (start or comparison)
    scenarios[name] = null;
    api("/api/scenarios/" + encodeURIComponent(name), { credentials: "same-origin" }).then(function (r) {
      if (r.status === 200) { scenarios[name] = r.body.params; }
    });
    ["p-scenario", "p-compare"].forEach(function (id) {
      var opt = document.createElement("option");
      opt.value = name;
      opt.textContent = name;
      $(id).appendChild(opt);
    });
  }

  PLANNER.draw = drawResult;
  form.addEventListener("submit", submit);
  if ($("next-form")) { $("next-form").addEventListener("submit", submitNext); }
  $("p-scenario").addEventListener("change", function () { fill($("p-scenario").value); });
  $("p-reset").addEventListener("click", function () { fill($("p-scenario").value); });
  $("p-weighting").addEventListener("change", weightingChanged);
  fill($("p-scenario").value);
  weightingChanged();
  document.documentElement.setAttribute("data-next", "ready");
  document.documentElement.setAttribute("data-planner", "ready");
}());
