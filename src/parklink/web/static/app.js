// parklink pages: draw plotly figures embedded as JSON, and the map (fetched from the API).
(function () {
  "use strict";
  var config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["toImage", "sendDataToCloud"] };

  function drawEmbedded() {
    var plots = document.querySelectorAll("[data-figure]");
    var pending = [];
    plots.forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-figure"));
      if (!src) { return; }
      var fig = JSON.parse(src.textContent);
      pending.push(Plotly.newPlot(el, fig.data, fig.layout, config));
    });
    if (pending.length) {
      Promise.all(pending).then(function () { document.documentElement.setAttribute("data-plots-ready", "1"); });
    }
  }

  // co-construction layers of the map (trace meta "LAYER:GROUP") and the registry page of each
  var COCON_PAGES = { pip: "parks-in-park", smart: "smart", platforms: "platforms" };

  function checkedLayers() {
    return Array.prototype.map.call(document.querySelectorAll("#map-layers input[name=layers]:checked"),
      function (box) { return box.value; });
  }

  function drawMap() {
    var el = document.getElementById("map");
    if (!el) { return; }
    var select = document.getElementById("indicator");
    var latest = 0;  // only the newest request may draw: an older answer arriving late is dropped
    function load() {
      var seq = ++latest;
      document.documentElement.removeAttribute("data-map-ready");
      var url = el.getAttribute("data-src") + "?indicator=" + encodeURIComponent(select ? select.value : "parks");
      var chosen = checkedLayers();
      if (chosen.length) { url += "&layers=" + encodeURIComponent(chosen.join(",")); }
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
        .then(function (fig) { return seq === latest ? Plotly.react(el, fig.data, fig.layout, config) : null; })
        .then(function () {
          if (seq !== latest) { return; }
          document.documentElement.setAttribute("data-map-ready", "1");
          if (!el.dataset.bound) {
            el.dataset.bound = "1";
            el.on("plotly_click", function (ev) {
              var pt = ev && ev.points && ev.points[0];
              if (pt && pt.data && pt.data.meta === "parks" && pt.customdata) {
                window.location.href = "/parks/" + encodeURIComponent(pt.customdata);
              } else if (pt && pt.data && typeof pt.data.meta === "string" && pt.customdata) {
                var page = COCON_PAGES[pt.data.meta.split(":")[0]];  // a co-construction layer
                if (page) { window.location.href = "/coconstruction/" + page + "?park=" + encodeURIComponent(pt.customdata); }
              }
            });
          }
        })
        .catch(function (err) {
          if (seq !== latest) { return; }
          el.textContent = "地图加载失败 The map could not be loaded: " + err.message;
          document.documentElement.setAttribute("data-map-ready", "error");
        });
    }
    function updateUrl(name, value) {
      var u = new URL(window.location.href);
      if (value) { u.searchParams.set(name, value); } else { u.searchParams.delete(name); }
      window.history.replaceState(null, "", u.toString());
    }
    document.querySelectorAll("#map-layers input[name=layers]").forEach(function (box) {
      box.addEventListener("change", function () { updateUrl("layers", checkedLayers().join(",")); load(); });
    });
    if (select) {
      select.addEventListener("change", function () {
        var u = new URL(window.location.href);
        u.searchParams.set("indicator", select.value);
        window.history.replaceState(null, "", u.toString());
        load();
      });
    }
    load();
  }

  function start() {
    if (typeof Plotly === "undefined") { return; }
    drawEmbedded();
    drawMap();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
