// The import page follows its job: polls GET /imports/{id} every second, updates the progress bar and the status
// line, and reloads the page once the job has ended (the summary and the rejects are then rendered by the server).
(function () {
  "use strict";
  var box = document.getElementById("import");
  if (!box) return;
  var bar = document.getElementById("avancement");
  var etat = document.getElementById("etat");
  function tick() {
    fetch(box.getAttribute("data-etat-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (job) {
        if (job.total) bar.max = job.total;
        bar.value = job.traites;
        if (job.etat === "en attente" || job.etat === "en cours") {
          etat.textContent = "Import en cours : " + job.traites + " enregistrement(s) traité(s)" +
            (job.total ? " sur " + job.total : "") + ".";
          window.setTimeout(tick, 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(tick, 3000); });
  }
  if (!document.getElementById("resume").hidden) return;
  window.setTimeout(tick, 1000);
})();
