// Sorting and filtering for the report's tables. No network, no eval.
(function () {
  "use strict";
  function cellValue(row, index) {
    var cell = row.children[index];
    if (!cell) { return ""; }
    var raw = cell.getAttribute("data-sort") || cell.textContent.trim();
    var num = parseFloat(raw.replace(/[^0-9.\-]/g, ""));
    return (/^[\s\d.,\-–h€$£]+$/.test(raw) && !isNaN(num)) ? num : raw.toLowerCase();
  }
  // Long tables show their first rows; the rest fold behind "show all".
  // After a sort, the first rows are the new first rows.
  function refold(table) {
    var box = table.parentElement;
    if (!box || !box.classList.contains("long")) { return; }
    var limit = parseInt(box.getAttribute("data-limit"), 10);
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row, i) {
      row.classList.toggle("more", i >= limit);
    });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("th").forEach(function (th, index) {
      th.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, index), y = cellValue(b, index);
          if (x < y) { return asc ? -1 : 1; }
          if (x > y) { return asc ? 1 : -1; }
          return 0;
        });
        rows.forEach(function (row) { body.appendChild(row); });
        refold(table);
      });
    });
  });
  document.querySelectorAll("input.filter").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    if (!table) { return; }
    input.addEventListener("input", function () {
      var needle = input.value.toLowerCase();
      // Filtering searches every row, folded or not.
      if (table.parentElement) { table.parentElement.classList.toggle("filtering", needle !== ""); }
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) === -1;
      });
    });
  });
  // Printing (and print-to-PDF) shows every collapsed evidence list, then
  // puts them back as the reader left them.
  var closed = [];
  window.addEventListener("beforeprint", function () {
    closed = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) { return !d.open; });
    closed.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    closed.forEach(function (d) { d.open = false; });
    closed = [];
  });
})();
