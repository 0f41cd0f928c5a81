/* The menu: one group open at a time, closed by a click elsewhere or Esc; on a narrow screen the
   whole menu folds behind one button. Without this script every group still opens (details). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var nav = document.getElementById("main-nav");
    if (!nav) return;
    var groups = nav.querySelectorAll("details.navgroup");
    function closeAll(except) {
      groups.forEach(function (g) { if (g !== except) g.open = false; });
    }
    groups.forEach(function (g) {
      g.addEventListener("toggle", function () { if (g.open) closeAll(g); });
    });
    document.addEventListener("click", function (e) { if (!nav.contains(e.target)) closeAll(null); });
    document.addEventListener("keydown", function (e) {
      if (e.key !== "Escape") return;
      var open = nav.querySelector("details.navgroup[open]");
      if (open) { open.open = false; open.querySelector("summary").focus(); }
    });
    var toggle = document.querySelector(".menu-toggle");
    var bar = nav.closest(".topbar");
    if (!toggle || !bar) return;
    toggle.hidden = false;
    bar.classList.add("foldable");
    toggle.addEventListener("click", function () {
      var open = bar.classList.toggle("menu-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });
})();
