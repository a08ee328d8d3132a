// Filters by day and status: hides map marks and table rows whose data-day or
// data-status does not match. Runs offline; touches nothing outside the page.
(function () {
  "use strict";
  var day = document.getElementById("filter-day");
  var status = document.getElementById("filter-status");
  if (!day || !status) { return; }
  function apply() {
    var d = day.value, s = status.value;
    var marks = document.querySelectorAll("[data-day]");
    for (var i = 0; i < marks.length; i++) {
      var el = marks[i];
      var okDay = d === "" || el.getAttribute("data-day") === d;
      var st = el.getAttribute("data-status");
      var okStatus = s === "" || st === null || st === s;
      el.classList.toggle("off", !(okDay && okStatus));
    }
  }
  day.addEventListener("change", apply);
  status.addEventListener("change", apply);
  apply();
})();
