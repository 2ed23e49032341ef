/* Printed formulas stay whole (converters/sphinx_ext/accessible_html.py).
 * On screen a display formula wider than the text scrolls in its own box; on paper a scroll box
 * is cut at its edge.  Once MathJax has drawn a page, each display formula gets its natural width
 * in ems (--kexue-ems) and its font size (--kexue-size); the print stylesheet (kexue-book.css)
 * shrinks a formula wider than the printed column to fit it.  Nothing changes on screen. */
(function () {
  "use strict";
  function measure() {
    document.querySelectorAll("div.math mjx-container[display='true']").forEach(function (box) {
      var math = box.querySelector("mjx-math");
      var size = parseFloat(getComputedStyle(box).fontSize);
      if (!math || !size) return;
      box.style.setProperty("--kexue-ems", (math.getBoundingClientRect().width / size).toFixed(3));
      box.style.setProperty("--kexue-size", size.toFixed(2) + "px");
    });
  }
  // MathJax loads asynchronously: by the window's load event it has started.
  window.addEventListener("load", function () {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) MathJax.startup.promise.then(measure);
  });
})();
