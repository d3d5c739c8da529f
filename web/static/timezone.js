// The booking forms' time zone: preselect the browser's own zone when the patient has not
// chosen one yet, and open the full list when they pick "Other…". Without this script the
// clinic's zone stays chosen and the full list is one tap away.
(function () {
  "use strict";
  var short = document.getElementById("time_zone");
  var other = document.getElementById("time_zone_other");
  var more = document.getElementById("time_zone_more");
  if (!short || !other || !more) {
    return;
  }

  function has(select, value) {
    return Array.prototype.some.call(select.options, function (option) {
      return option.value === value;
    });
  }

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  var zone = browserZone();
  if (short.getAttribute("data-preselect") === "yes" && zone) {
    if (has(short, zone)) {
      short.value = zone;
    } else if (has(other, zone)) {
      short.value = "other";
      other.value = zone;
      more.open = true;
    }
  }

  short.addEventListener("change", function () {
    if (short.value === "other") {
      more.open = true;
      other.focus();
    } else {
      other.value = "";
    }
  });

  other.addEventListener("change", function () {
    if (other.value) {
      short.value = "other";
    }
  });
})();
