// park page: while the whole-programme analyses are computed in the background, poll the
// public job status and reload the page once they are ready (or failed)
(function () {
  "use strict";
  var box = document.getElementById("analyses-state");
  if (!box || box.getAttribute("data-state") !== "computing") { return; }
  var url = box.getAttribute("data-status-url");
  var tries = 0;
  function poll() {
    tries += 1;
    if (!url) { if (tries < 3) { setTimeout(poll, 5000); } else { window.location.reload(); } return; }
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (job) {
      var p = document.getElementById("analyses-progress");
      if (p && typeof job.progress === "number") { p.textContent = Math.round(100 * job.progress) + "%"; }
      if (job.status === "done" || job.status === "failed") { window.location.reload(); return; }
      setTimeout(poll, Math.min(10000, 2000 + 500 * tries));
    }).catch(function () { setTimeout(poll, 10000); });
  }
  setTimeout(poll, 2000);
})();

