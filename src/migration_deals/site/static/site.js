// migration-deals explorer: sorting and filtering for the agreements table. The page works without it.
// Reads only data-* attributes and text already in the page; never builds HTML from data.
(function () {
  "use strict";
  var table = document.getElementById("deals");
  var form = document.getElementById("filters");
  var count = document.getElementById("count");
  if (!table || !form || !count) { return; }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var total = rows.length;

  function value(id) { var el = document.getElementById(id); return el ? el.value : ""; }

  function apply() {
    var state = value("f-state"), kind = value("f-kind"), status = value("f-status");
    var from = value("f-from"), to = value("f-to");
    var shown = 0;
    rows.forEach(function (row) {
      var d = row.dataset, year = d.year ? parseInt(d.year, 10) : NaN;
      var ok = (!state || d.sending === state || d.receiving === state) &&
        (!kind || d.kind === kind) && (!status || d.status === status) &&
        (!from || (!isNaN(year) && year >= parseInt(from, 10))) &&
        (!to || (!isNaN(year) && year <= parseInt(to, 10)));
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = "Showing " + shown + " of " + total + " agreements";
  }

  form.hidden = false;
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (ev) { ev.preventDefault(); apply(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });

  function key(row, index) {
    var cell = row.cells[index];
    var raw = cell.getAttribute("data-sort");
    if (raw === null) { raw = cell.textContent.trim(); }
    var num = raw === "" ? NaN : Number(raw);
    return { empty: raw === "" || raw === "\u2014", num: num, text: raw.toLowerCase() };
  }

  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  headers.forEach(function (th, index) {
    var button = document.createElement("button");
    button.type = "button";
    while (th.firstChild) { button.appendChild(th.firstChild); }
    th.appendChild(button);
    th.setAttribute("aria-sort", "none");
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach(function (other) { other.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var keyed = rows.map(function (row, i) { return { row: row, k: key(row, index), i: i }; });
      keyed.sort(function (a, b) {
        if (a.k.empty !== b.k.empty) { return a.k.empty ? 1 : -1; }  // missing values last, either way
        var c;
        if (!isNaN(a.k.num) && !isNaN(b.k.num)) { c = a.k.num - b.k.num; }
        else { c = a.k.text < b.k.text ? -1 : (a.k.text > b.k.text ? 1 : 0); }
        if (!ascending) { c = -c; }
        return c !== 0 ? c : a.i - b.i;
      });
      keyed.forEach(function (item) { tbody.appendChild(item.row); });
      rows = keyed.map(function (item) { return item.row; });
    });
  });
}());
