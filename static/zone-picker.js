// The profile's time zone picker: where the browser knows its zone and it differs from the one
// chosen, offer it ("This device is set to Iran Time. Use this zone"). Without JavaScript the
// picker is an ordinary list.
(function () {
  "use strict";

  function suggest() {
    var picker = document.querySelector("select[data-zone-picker]");
    var box = document.querySelector("[data-zone-suggestion]");
    if (!picker || !box || !window.Intl || !Intl.DateTimeFormat) {
      return;
    }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var option = Array.prototype.find.call(picker.options, function (candidate) {
      return candidate.value === zone;
    });
    if (!option || picker.value === zone) {
      return;
    }
    box.querySelector("[data-zone-suggestion-text]").textContent =
      box.getAttribute("data-template").replace("{zone}", option.textContent);
    box.querySelector("[data-zone-suggestion-use]").addEventListener("click", function () {
      picker.value = zone;
      box.hidden = true;
      picker.focus();
    });
    box.hidden = false;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", suggest);
  } else {
    suggest();
  }
})();
