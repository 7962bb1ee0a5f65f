// Offline plotly geo: the map draws its own district GeoJSON with the base map hidden, so
// plotly.js never needs its world topojson. Registering empty topologies here (before
// plotly.js loads) stops it from fetching them from a CDN.
(function () {
  var empty = { type: "Topology", objects: {}, arcs: [], transform: { scale: [1, 1], translate: [0, 0] } };
  var topo = {};
  ["world_110m", "world_50m", "asia_110m", "asia_50m"].forEach(function (n) { topo[n] = empty; });
  window.PlotlyGeoAssets = { topojson: topo };
})();
