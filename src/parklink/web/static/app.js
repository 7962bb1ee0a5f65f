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

  function drawMap() {
    var el = document.getElementById("map");
    if (!el) { return; }
    var select = document.getElementById("indicator");
    function load() {
      document.documentElement.removeAttribute("data-map-ready");
      var url = el.getAttribute("data-src") + "?indicator=" + encodeURIComponent(select ? select.value : "parks");
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
        .then(function (fig) { return Plotly.react(el, fig.data, fig.layout, config); })
        .then(function () {
          document.documentElement.setAttribute("data-map-ready", "1");
          if (!el.dataset.bound) {
            el.dataset.bound = "1";
            el.on("plotly_click", function (ev) {
              var pt = ev && ev.points && ev.points[0];
              if (pt && pt.data && pt.data.meta === "parks" && pt.customdata) {
                window.location.href = "/parks/" + encodeURIComponent(pt.customdata);
              }
            });
          }
        })
        .catch(function (err) {
          el.textContent = "地图加载失败 The map could not be loaded: " + err.message;
          document.documentElement.setAttribute("data-map-ready", "error");
        });
    }
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
