// The desk keeps its card box focused, so the next scan lands in it. Nothing else needs script:
// every page works without it.
(function () {
  "use strict";
  function keepFocus() {
    var box = document.querySelector("[data-keep-focus]");
    if (!box) { return; }
    box.focus();
    // A click on the page's background (not on a link, button or box) gives focus back.
    document.addEventListener("click", function (event) {
      if (!event.target.closest("a, button, input, select, textarea, label, summary")) {
        box.focus();
      }
    });
    window.addEventListener("focus", function () {
      if (document.activeElement === document.body) { box.focus(); }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", keepFocus);
  } else {
    keepFocus();
  }
})();
