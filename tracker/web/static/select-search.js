// Long lists of units in a <select data-search="…">: a search box above the list; typing keeps the
// options whose name contains the words and picks the first of them. Without script the select
// works as before. A static file (no inline script: the app's CSP forbids it).
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("select[data-search]"), function (select, n) {
    var input = document.createElement("input");
    input.type = "search";
    input.className = "select-search";
    input.id = (select.id || "select-" + n) + "-search";
    input.placeholder = "输入名称查找";
    input.autocomplete = "off";
    input.setAttribute("aria-label", select.getAttribute("data-search"));
    if (select.id) input.setAttribute("aria-controls", select.id);
    select.parentNode.insertBefore(input, select);
    input.addEventListener("input", function () {
      var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var text = option.text.toLowerCase();
        var keep = !words.length || words.every(function (w) { return text.indexOf(w) >= 0; });
        option.hidden = !keep;
        if (keep && words.length && option.value !== "" && !first) first = option;
      });
      if (first) {
        first.selected = true;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  });
})();
