// Space tabs: a tab or a row of the comparison tables shows one space's section
// (and filters the model table to it); "all" again shows every space. Table
// headers sort. Without this script every section shows, in order.
(function () {
  "use strict";
  var spaces = Array.prototype.slice.call(document.querySelectorAll("section.space"));
  var tabs = Array.prototype.slice.call(document.querySelectorAll(".toc a[data-space]"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("#model-table tbody tr"));
  var toc = document.querySelector(".toc");
  var all = document.createElement("a");
  all.href = "#spaces";
  all.textContent = "all spaces";
  all.setAttribute("data-space", "");
  if (tabs.length > 1) { toc.insertBefore(all, tabs[0]); tabs.unshift(all); }
  function show(id, scroll) {
    spaces.forEach(function (s) { s.hidden = id !== "" && s.id !== id; });
    tabs.forEach(function (t) { t.classList.toggle("on", t.getAttribute("data-space") === id); });
    rows.forEach(function (r) { r.hidden = id !== "" && r.getAttribute("data-space") !== id; });
    if (scroll) {
      var target = document.getElementById(id || "spaces");
      if (target) { window.scrollTo(0, target.getBoundingClientRect().top + window.pageYOffset - toc.offsetHeight - 4); }
    }
  }
  function pick(e) {
    var id = this.getAttribute("data-space");
    if (id === null) { return; }
    e.preventDefault();
    show(id, true);
    if (history.replaceState) { history.replaceState(null, "", "#" + (id || "spaces")); }
  }
  if (tabs.length > 1) {
    tabs.forEach(function (t) { t.addEventListener("click", pick); });
    document.querySelectorAll("table.ks tbody tr").forEach(function (r) { r.addEventListener("click", pick); });
    var h = location.hash.slice(1);
    if (spaces.some(function (s) { return s.id === h; })) {
      show(h, true);
      window.addEventListener("load", function () { show(h, true); });
    } else {
      show("", false);
    }
  }
  // Sorting: numbers by their data-v value (blank last), text otherwise; a second
  // click reverses.
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    heads.forEach(function (th, col) {
      th.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var list = Array.prototype.slice.call(body.rows);
        function key(r) {
          var c = r.cells[col], v = c.getAttribute("data-v");
          if (v !== null) { return v === "" ? null : parseFloat(v); }
          var t = c.textContent.trim(), n = parseFloat(t);
          return isNaN(n) || String(n) !== t ? t : n;
        }
        list.sort(function (a, b) {
          var x = key(a), y = key(b);
          if (x === null || y === null) { return x === y ? 0 : x === null ? 1 : -1; }
          var d = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
          return asc ? d : -d;
        });
        list.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  // Clicking a dot finds its model's row in the table of all models.
  document.addEventListener("click", function (e) {
    var dot = e.target.closest ? e.target.closest("svg.fig circle") : null;
    var title = dot && dot.querySelector("title");
    var id = title && /[0-9a-f]{16}/.exec(title.textContent);
    var row = id && document.querySelector('#model-table tr[data-id="' + id[0] + '"]');
    if (!row) { return; }
    document.querySelectorAll("#model-table tr.hl").forEach(function (r) { r.classList.remove("hl"); });
    row.classList.add("hl");
    row.hidden = false;
    row.scrollIntoView({ block: "center" });
  });
  document.documentElement.setAttribute("data-script", "ran");
})();
