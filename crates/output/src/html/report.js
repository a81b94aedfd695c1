// Client-side filters of the ranked alerts: free text, suspicion, protocol and whether
// suppressed alerts show. Rows of the ranking and the alert sections are filtered together.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-alert]"));
  var count = document.getElementById("shown");
  var total = document.querySelectorAll("tr[data-alert]").length;
  function apply() {
    var text = form.querySelector("[name=q]").value.trim().toLowerCase();
    var sus = {};
    Array.prototype.forEach.call(form.querySelectorAll("[name=suspicion]"), function (c) { sus[c.value] = c.checked; });
    var proto = form.querySelector("[name=protocol]").value;
    var supp = form.querySelector("[name=suppressed]").checked;
    var shown = 0;
    items.forEach(function (el) {
      var ok = sus[el.getAttribute("data-suspicion")] !== false &&
        (proto === "" || el.getAttribute("data-protocol") === proto) &&
        (supp || el.getAttribute("data-suppressed") !== "true") &&
        (text === "" || el.getAttribute("data-text").indexOf(text) !== -1);
      el.classList.toggle("hidden", !ok);
      if (ok && el.tagName === "TR") { shown += 1; }
    });
    if (count) { count.textContent = shown + " of " + total + " alerts shown"; }
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  apply();
}());
