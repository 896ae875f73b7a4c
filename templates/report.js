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
    page = 0;
    show();
  }

  if (table) {
    Array.prototype.forEach.call(table.tHead.querySelectorAll("button.sort"), function (button) {
      button.addEventListener("click", function () { sortBy(button.closest("th")); });
    });
  }

  /* Filtering: selects match data-* attributes exactly; the search box matches the finding's
     visible text (summary and detail) case-insensitively. Each finding's text is read once,
     on the first search, so that a keystroke compares strings and reads no DOM.
     Paging: at most PAGE findings are shown at once, in the current sort order; the others
     are hidden like filtered ones, so that a plan of thousands of findings stays quick to
     filter, sort and scroll. Printing shows every finding (report.css). */
  var PAGE = 100;
  var page = 0;
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var search = document.getElementById("filter-text");
  var count = document.getElementById("filter-count");
  var pager = document.getElementById("pager");
  var pageInfo = document.getElementById("page-info");
  var prev = document.getElementById("page-prev");
  var next = document.getElementById("page-next");
  var texts = null;

  function textOf(tbody) {
    if (!texts) {
      texts = new Map();
      findings.forEach(function (t) { texts.set(t, t.textContent.toLowerCase()); });
    }
    return texts.get(tbody);
  }

  function show() {
    var query = search ? search.value.trim().toLowerCase() : "";
    var ordered = table ? Array.prototype.slice.call(table.tBodies) : [];
    var matched = ordered.filter(function (tbody) {
      var match = selects.every(function (select) {
        return !select.value || tbody.getAttribute("data-" + select.getAttribute("data-filter")) === select.value;
      });
      return match && (!query || textOf(tbody).indexOf(query) !== -1);
    });
    var pages = Math.max(1, Math.ceil(matched.length / PAGE));
    page = Math.min(page, pages - 1);
    var first = page * PAGE;
    var last = Math.min(first + PAGE, matched.length);
    ordered.forEach(function (tbody) { tbody.hidden = true; });
    for (var i = first; i < last; i += 1) { matched[i].hidden = false; }
    if (count) {
      count.textContent = matched.length === findings.length
        ? findings.length + " findings"
        : "Showing " + matched.length + " of " + findings.length + " findings";
    }
    if (pager) {
      pager.hidden = pages < 2;
      pageInfo.textContent = "Findings " + (first + 1) + "\u2013" + last + " of " + matched.length;
      prev.disabled = page === 0;
      next.disabled = page === pages - 1;
    }
  }

  function applyFilters() { page = 0; show(); }

  function turn(step) {
    page = Math.max(0, page + step);
    show();
    table.scrollIntoView();
  }

  selects.forEach(function (select) { select.addEventListener("change", applyFilters); });
  if (search) { search.addEventListener("input", applyFilters); }
  if (prev && next) {
    prev.addEventListener("click", function () { turn(-1); });
    next.addEventListener("click", function () { turn(1); });
  }
  if (table) { show(); }

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
