// Moves the focus to a form's error summary when the page loads, and each of its links to the
// field it names (the GOV.UK design system pattern). Without it the summary is still announced
// and the links still jump.
(function () {
  "use strict";

  var FOCUSABLE = "input:not([type=hidden]), select, textarea, button, a[href]";

  // The element a link names: by id, else the first control of that name (a radio group).
  function fieldFor(name) {
    var target = document.getElementById(name) || document.getElementsByName(name)[0];
    if (!target || target.matches(FOCUSABLE)) {
      return target;
    }
    var box = target.closest("fieldset, [role=radiogroup], .question, section") || target;
    return box.querySelector(FOCUSABLE) || target;
  }

  function jump(event) {
    var link = event.target.closest("a[href^='#']");
    var field = link && fieldFor(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!field) {
      return;
    }
    event.preventDefault();
    // The question (legend or label) stays in view above the field.
    var context = field.closest("fieldset, .question") || field;
    context.scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  }

  function start() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) {
      return;
    }
    summary.addEventListener("click", jump);
    summary.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
