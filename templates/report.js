/* report.html behaviour: sort, filter and expand the remediation plan. Inlined by
   report.html.j2. Reads data-* attributes and textContent only; never writes markup. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var table = document.getElementById("findings-table");
  var findings = table ? Array.prototype.slice.call(table.tBodies) : [];
  var toggles = table ? Array.prototype.slice.call(table.querySelectorAll("button.toggle")) : [];

  function setExpanded(button, expanded) {
    var row = document.getElementById(button.getAttribute("aria-controls"));
    button.setAttribute("aria-expanded", expanded ? "true" : "false");
    if (row) { row.hidden = !expanded; }
  }

  toggles.forEach(function (button) {
    setExpanded(button, false);
    button.addEventListener("click", function () {
      setExpanded(button, button.getAttribute("aria-expanded") !== "true");
    });
  });

  function on(id, handler) {
    var element = document.getElementById(id);
    if (element) { element.addEventListener("click", handler); }
  }
  on("expand-all", function () {
    toggles.forEach(function (b) { if (!b.closest("tbody").hidden) { setExpanded(b, true); } });
  });
  on("collapse-all", function () { toggles.forEach(function (b) { setExpanded(b, false); }); });

  /* Sorting: every header with a button sorts by its column, first in the direction its
     data-first-sort names (volumes: largest first), then the other way. A cell's data-sort
     holds the sort key; without one the cell's text is the key. Ties keep the plan's order:
     `findings` is the tbodies in document order, which is the rank order. */
  function sortKey(tbody, column, type) {
    var cell = tbody.rows[0].cells[column];
    var value = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    if (type === "number") {
      var number = parseFloat(value);
      return isNaN(number) ? Number.POSITIVE_INFINITY : number;
    }
    return value.trim().toLowerCase();
  }

  function sortBy(header) {
    var headers = Array.prototype.slice.call(header.parentNode.cells);
    var column = headers.indexOf(header);
    var type = header.getAttribute("data-type") || "text";
    var current = header.getAttribute("aria-sort");
    var direction;
    if (current === "ascending") { direction = "descending"; }
    else if (current === "descending") { direction = "ascending"; }
    else { direction = header.getAttribute("data-first-sort") || "ascending"; }
    var sign = direction === "ascending" ? 1 : -1;
    var keyed = findings.map(function (tbody, index) {
      return { tbody: tbody, key: sortKey(tbody, column, type), rank: index };
    });
    keyed.sort(function (a, b) {
      if ((a.key === "") !== (b.key === "")) { return a.key === "" ? 1 : -1; }  // blanks last
      if (a.key < b.key) { return -sign; }
      if (a.key > b.key) { return sign; }
      return a.rank - b.rank;
    });
    keyed.forEach(function (item) { table.appendChild(item.tbody); });
    headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", direction);
  }

  if (table) {
    Array.prototype.forEach.call(table.tHead.querySelectorAll("button.sort"), function (button) {
      button.addEventListener("click", function () { sortBy(button.closest("th")); });
    });
  }

  /* Filtering: selects match data-* attributes exactly; the search box matches the finding's
     visible text (summary and detail) case-insensitively. */
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var search = document.getElementById("filter-text");
  var count = document.getElementById("filter-count");

  function applyFilters() {
    var query = search ? search.value.trim().toLowerCase() : "";
    var shown = 0;
    findings.forEach(function (tbody) {
      var match = selects.every(function (select) {
        return !select.value || tbody.getAttribute("data-" + select.getAttribute("data-filter")) === select.value;
      });
      if (match && query) { match = tbody.textContent.toLowerCase().indexOf(query) !== -1; }
      tbody.hidden = !match;
      if (match) { shown += 1; }
    });
    if (count) {
      count.textContent = shown === findings.length
        ? findings.length + " findings"
        : "Showing " + shown + " of " + findings.length + " findings";
    }
  }

  selects.forEach(function (select) { select.addEventListener("change", applyFilters); });
  if (search) { search.addEventListener("input", applyFilters); }

  /* Printing shows everything: folded group tables open for the printout, then close again. */
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("details:not([open])"),
      function (d) { d.open = true; return true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
})();
