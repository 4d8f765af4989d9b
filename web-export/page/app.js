// maskbench leaderboard page: reads the leaderboard JSON embedded in index.html
// (works from file://, no network, no libraries) and draws the table, the
// accuracy-vs-speedup scatter with its Pareto front, and a per-entry detail view.
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var CLASS_COLORS = ["#2f6fdf", "#c0392b", "#b7791f", "#1f8a4c", "#7d3c98", "#117a8b"];

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function svgEl(tag, attrs, text) {
    var node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
  }

  function isNum(v) { return typeof v === "number" && isFinite(v); }

  function fmt(v, digits) {
    if (!isNum(v)) return "—";
    return v.toFixed(digits);
  }

  function fmtSpeedup(v) {
    if (!isNum(v)) return "—";
    return (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) + "×";
  }

  // ---- data ----
  var doc;
  try {
    doc = JSON.parse($("leaderboard-data").textContent);
  } catch (e) {
    $("context").textContent = "Could not read the embedded leaderboard JSON: " + e.message;
    return;
  }
  var entries = doc.entries || [];
  entries.forEach(function (e, i) { e._index = i; });

  // ---- context ----
  (function renderContext() {
    var c = doc.context || {};
    var ds = c.dataset || {};
    var m = c.machine || {};
    var p = $("context");
    p.textContent = "";
    function part(label, value, code) {
      if (p.childNodes.length) p.appendChild(document.createTextNode(" · "));
      p.appendChild(document.createTextNode(label + " "));
      p.appendChild(el(code ? "code" : "span", null, value));
    }
    part("data set", (ds.name || "?") + " / " + (ds.split || "?"));
    part("manifest", String(ds.manifest_sha256 || "").slice(0, 12), true);
    part("rules", String(c.rules_sha256 || "").slice(0, 12), true);
    part("machine", (m.cpu_model || "?") + " (" + (m.cores || "?") + " cores)");
    part("harness", c.harness_version || "?");
    part("generated", c.generated_at || "?");
    var r = c.ranking || {};
    var note = "Ranked by " + (r.primary || "?");
    if (r.tie_breaks && r.tie_breaks.length) note += ", ties broken by " + r.tie_breaks.join(", ");
    note += "; equal values share a rank. Unranked entries list their reason.";
    if (r.note) note += " " + r.note;
    $("ranking-note").textContent = note;
    $("footer").textContent = "schema_version " + doc.schema_version + " · " + entries.length +
        " entries · maskbench";
  })();

  // ---- table ----
  var COLUMNS = [
    { key: "rank", label: "Rank", get: function (e) { return e.rank; }, cls: "rank",
      show: function (e) { return e.rank === null ? "—" : String(e.rank); } },
    { key: "team", label: "Team", text: true, get: function (e) { return e.team; } },
    { key: "name", label: "Submission", text: true, get: function (e) { return e.name; } },
    { key: "status", label: "Status", text: true, get: function (e) { return e.status; } },
    { key: "mAP50", label: "mAP@.5", get: function (e) { return e.accuracy.mAP50; }, digits: 4 },
    { key: "AP", label: "AP", get: function (e) { return e.accuracy.AP; }, digits: 4 },
    { key: "violation_recall", label: "Viol. recall",
      get: function (e) { return e.accuracy.violation_recall; }, digits: 3 },
    { key: "p50", label: "p50 ms", get: function (e) { return e.latency_ms.p50; }, digits: 2 },
    { key: "p90", label: "p90 ms", get: function (e) { return e.latency_ms.p90; }, digits: 2 },
    { key: "p99", label: "p99 ms", get: function (e) { return e.latency_ms.p99; }, digits: 2 },
    { key: "modeled", label: "Modeled ms", get: function (e) { return e.modeled_latency_ms; },
      digits: 3 },
    { key: "speedup", label: "Speedup", get: function (e) { return e.speedup; },
      show: function (e) { return fmtSpeedup(e.speedup); } },
    { key: "gate", label: "Gate", text: true,
      get: function (e) { return e.gate_passed === null ? "" : e.gate_passed ? "pass" : "fail"; } },
    { key: "seal", label: "Seal", text: true,
      get: function (e) { return e.seal.level; } },
    { key: "audits", label: "Audits", text: true,
      get: function (e) {
        var failed = e.audits.filter(function (a) { return !a.passed; }).length;
        return e.audits.length ? (failed ? failed + " failed" : "all passed") : "";
      } }
  ];

  var sortState = { key: "rank", dir: 1 };
  var selected = null;

  function compare(col, dir) {
    return function (a, b) {
      var va = col.get(a), vb = col.get(b);
      var na = va === null || va === undefined || va === "";
      var nb = vb === null || vb === undefined || vb === "";
      if (na || nb) {
        if (na && nb) return a._index - b._index;
        return na ? 1 : -1;  // missing values last, whatever the direction
      }
      var c = col.text ? String(va).localeCompare(String(vb)) : va - vb;
      return c !== 0 ? c * dir : a._index - b._index;
    };
  }

  function renderHead() {
    var head = $("leaderboard-head");
    head.textContent = "";
    COLUMNS.forEach(function (col) {
      var th = el("th", { "data-key": col.key, scope: "col", class: col.text ? "text" : "" },
                  col.label);
      if (sortState.key === col.key) {
        th.setAttribute("aria-sort", sortState.dir > 0 ? "ascending" : "descending");
      }
      th.addEventListener("click", function () {
        if (sortState.key === col.key) {
          sortState.dir = -sortState.dir;
        } else {
          sortState.key = col.key;
          // Numbers where bigger is better start descending.
          var ascFirst = col.text || col.key === "rank" || /^p\d+$/.test(col.key) ||
                         col.key === "modeled";
          sortState.dir = ascFirst ? 1 : -1;
        }
        renderTable();
      });
      head.appendChild(th);
    });
  }

  function renderTable() {
    renderHead();
    var col = COLUMNS.filter(function (c) { return c.key === sortState.key; })[0];
    var rows = entries.slice().sort(compare(col, sortState.dir));
    var body = $("leaderboard-body");
    body.textContent = "";
    rows.forEach(function (e) {
      var tr = el("tr", { "data-entry": e._index, class: e.rank === null ? "unranked" : "ranked" });
      if (selected === e) tr.classList.add("selected");
      COLUMNS.forEach(function (c) {
        var td = el("td", { class: (c.text ? "text " : "") + (c.cls || "") });
        if (c.key === "status") {
          td.appendChild(el("span", { class: e.status === "ok" ? "status-ok" : "status-bad" },
                            e.status));
          if (e.unranked_reason) td.appendChild(el("span", { class: "reason" }, e.unranked_reason));
        } else if (c.key === "gate") {
          var g = c.get(e);
          td.appendChild(el("span", { class: g === "pass" ? "pass" : g === "fail" ? "fail" : "" },
                            g || "—"));
        } else if (c.key === "seal") {
          td.appendChild(el("span", { class: e.seal.level === "full" ? "pass" : "fail",
                                      title: e.seal.reason }, e.seal.level));
          if (e.seal.level !== "full" && e.seal.reason)
            td.appendChild(el("span", { class: "reason" }, e.seal.reason));
        } else if (c.key === "audits") {
          var a = c.get(e);
          td.appendChild(el("span", { class: /failed/.test(a) ? "fail" : "pass" }, a || "—"));
        } else if (c.show) {
          td.textContent = c.show(e);
        } else if (c.text) {
          td.textContent = c.get(e);
        } else {
          td.textContent = fmt(c.get(e), c.digits);
        }
        tr.appendChild(td);
      });
      tr.addEventListener("click", function () { select(e); });
      body.appendChild(tr);
    });
  }

  // ---- scatter: mAP50 vs speedup (log x), Pareto front ----
  function paretoFront(points) {
    // Maximise both: walk by speedup descending, keep points that raise the best mAP.
    var sorted = points.slice().sort(function (a, b) {
      return b.x - a.x || b.y - a.y;
    });
    var front = [];
    var best = -Infinity;
    sorted.forEach(function (p) {
      if (p.y > best) {
        front.push(p);
        best = p.y;
      }
    });
    return front.reverse();  // by speedup ascending
  }

  function niceLogTicks(lo, hi) {
    var ticks = [];
    for (var e10 = Math.floor(Math.log10(lo)); e10 <= Math.ceil(Math.log10(hi)); e10++) {
      [1, 2, 5].forEach(function (m) {
        var v = m * Math.pow(10, e10);
        if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
      });
    }
    return ticks;
  }

  function linearTicks(lo, hi, n) {
    var step = (hi - lo) / n;
    var mag = Math.pow(10, Math.floor(Math.log10(step)));
    var nice = [1, 2, 2.5, 5, 10].map(function (m) { return m * mag; })
        .filter(function (s) { return s >= step; })[0];
    var ticks = [];
    for (var v = Math.ceil(lo / nice) * nice; v <= hi + nice * 1e-9; v += nice) ticks.push(v);
    return ticks;
  }

  function axes(svg, box, xTicks, yTicks, sx, sy, xLabel, yLabel, xFmt, yFmt) {
    yTicks.forEach(function (t) {
      svg.appendChild(svgEl("line", { class: "grid", x1: box.l, x2: box.r, y1: sy(t), y2: sy(t) }));
      svg.appendChild(svgEl("text", { x: box.l - 6, y: sy(t) + 4, "text-anchor": "end" }, yFmt(t)));
    });
    xTicks.forEach(function (t) {
      svg.appendChild(svgEl("line", { class: "grid", x1: sx(t), x2: sx(t), y1: box.t, y2: box.b }));
      svg.appendChild(svgEl("text", { x: sx(t), y: box.b + 15, "text-anchor": "middle" }, xFmt(t)));
    });
    svg.appendChild(svgEl("line", { class: "axis", x1: box.l, x2: box.r, y1: box.b, y2: box.b }));
    svg.appendChild(svgEl("line", { class: "axis", x1: box.l, x2: box.l, y1: box.t, y2: box.b }));
    svg.appendChild(svgEl("text", { x: (box.l + box.r) / 2, y: box.b + 32, "text-anchor": "middle" },
                          xLabel));
    svg.appendChild(svgEl("text", { x: 14, y: (box.t + box.b) / 2, "text-anchor": "middle",
                                    transform: "rotate(-90 14 " + (box.t + box.b) / 2 + ")" },
                          yLabel));
  }

  function renderScatter() {
    var W = 560, H = 360;
    var box = { l: 58, r: W - 16, t: 14, b: H - 42 };
    var svg = svgEl("svg", { id: "scatter", viewBox: "0 0 " + W + " " + H, role: "img",
                             "aria-label": "mAP@0.5 against speedup" });
    var pts = entries.filter(function (e) { return isNum(e.speedup) && e.speedup > 0 &&
                                                   isNum(e.accuracy.mAP50); })
        .map(function (e) { return { x: e.speedup, y: e.accuracy.mAP50, e: e }; });
    var wrap = $("scatter-wrap");
    wrap.textContent = "";
    if (!pts.length) {
      wrap.appendChild(el("p", { class: "hint" }, "No entry has both a speedup and an mAP."));
      return;
    }
    var xs = pts.map(function (p) { return p.x; }), ys = pts.map(function (p) { return p.y; });
    var xlo = Math.min.apply(null, xs) / 1.5, xhi = Math.max.apply(null, xs) * 1.5;
    var ylo = Math.min.apply(null, ys), yhi = Math.max.apply(null, ys);
    var pad = Math.max((yhi - ylo) * 0.1, 0.01);
    ylo = Math.max(0, ylo - pad);
    yhi = Math.min(1, yhi + pad);
    if (yhi <= ylo) yhi = ylo + 0.01;
    var sx = function (v) {
      return box.l + (Math.log(v) - Math.log(xlo)) / (Math.log(xhi) - Math.log(xlo)) * (box.r - box.l);
    };
    var sy = function (v) { return box.b - (v - ylo) / (yhi - ylo) * (box.b - box.t); };
    axes(svg, box, niceLogTicks(xlo, xhi), linearTicks(ylo, yhi, 5), sx, sy,
         "speedup (×, log scale)", "mAP@0.5",
         function (t) { return t >= 1 ? String(t) : t.toPrecision(1); },
         function (t) { return t.toFixed(2); });
    // The front is drawn over the ranked entries (the unranked ones are shown in grey).
    var front = paretoFront(pts.filter(function (p) { return p.e.rank !== null; }));
    var d = front.map(function (p, i) {
      return (i ? "L" : "M") + sx(p.x).toFixed(1) + " " + sy(p.y).toFixed(1);
    }).join(" ");
    svg.appendChild(svgEl("path", { id: "pareto-front", class: "pareto", d: d || "M0 0",
                                    "data-points": front.length }));
    var placed = [];  // label boxes already drawn, to keep labels apart
    function placeLabel(x, y, text) {
      var w = text.length * 5.6 + 2, h = 11;
      var tries = [[8, -7], [8, 15], [-w - 8, -7], [-w - 8, 15], [8, -20], [8, 28], [-w / 2, -14],
                   [-w / 2, 24]];
      for (var i = 0; i < tries.length; i++) {
        var bx = x + tries[i][0], by = y + tries[i][1];
        var clash = bx < box.l || bx + w > W || by - h < 0 || placed.some(function (b) {
          return bx < b.x + b.w && b.x < bx + w && by - h < b.y && b.y - b.h < by;
        });
        if (!clash) {
          placed.push({ x: bx, y: by, w: w, h: h });
          return [bx, by];
        }
      }
      return null;  // no free spot: the circle's tooltip still names it
    }
    pts.forEach(function (p) {
      var c = svgEl("circle", {
        class: "point " + (p.e.rank === null ? "unranked" : "ranked") +
               (front.indexOf(p) >= 0 ? " pareto-point" : "") + (selected === p.e ? " selected" : ""),
        cx: sx(p.x).toFixed(1), cy: sy(p.y).toFixed(1), r: 6, "data-entry": p.e._index });
      c.appendChild(svgEl("title", null, p.e.team + " / " + p.e.name + ": mAP@.5 " +
                          fmt(p.y, 4) + ", speedup " + fmtSpeedup(p.x) +
                          (p.e.rank === null ? " (unranked)" : " (rank " + p.e.rank + ")")));
      c.addEventListener("click", function () { select(p.e); });
      svg.appendChild(c);
    });
    // Labels after the circles, best-ranked first so they get the free spots.
    pts.slice().sort(function (a, b) {
      return (a.e.rank === null ? 1e9 : a.e.rank) - (b.e.rank === null ? 1e9 : b.e.rank);
    }).forEach(function (p) {
      var at = placeLabel(sx(p.x), sy(p.y), p.e.name);
      if (at) svg.appendChild(svgEl("text", { class: "label", x: at[0].toFixed(1),
                                              y: at[1].toFixed(1) }, p.e.name));
    });
    wrap.appendChild(svg);
  }

  // ---- detail: audits, latency histogram, precision-recall curves ----
  function renderHistogram(e) {
    var wrap = $("histogram-wrap");
    wrap.textContent = "";
    var h = e.latency_histogram || { edges: [], counts: [] };
    if (!h.counts.length) {
      wrap.appendChild(el("p", { class: "hint" }, "No timed frames."));
      return;
    }
    var W = 520, H = 200;
    var box = { l: 48, r: W - 12, t: 10, b: H - 36 };
    var svg = svgEl("svg", { id: "histogram", viewBox: "0 0 " + W + " " + H });
    var lo = h.edges[0], hi = h.edges[h.edges.length - 1];
    var maxCount = Math.max.apply(null, h.counts);
    var sx = function (v) { return box.l + (v - lo) / (hi - lo) * (box.r - box.l); };
    var sy = function (v) { return box.b - v / maxCount * (box.b - box.t); };
    axes(svg, box, linearTicks(lo, hi, 5), linearTicks(0, maxCount, 4).filter(function (t) {
      return Math.abs(t - Math.round(t)) < 1e-9;
    }), sx, sy, "latency (ms)", "frames",
         function (t) { return t.toPrecision(3); }, function (t) { return String(t); });
    h.counts.forEach(function (n, i) {
      var x0 = sx(h.edges[i]), x1 = sx(h.edges[i + 1]);
      var bar = svgEl("rect", { class: "bar", x: (x0 + 0.5).toFixed(1), y: sy(n).toFixed(1),
                                width: Math.max(0.5, x1 - x0 - 1).toFixed(1),
                                height: (box.b - sy(n)).toFixed(1) });
      bar.appendChild(svgEl("title", null, fmt(h.edges[i], 3) + "–" + fmt(h.edges[i + 1], 3) +
                            " ms: " + n + " frames"));
      svg.appendChild(bar);
    });
    wrap.appendChild(svg);
  }

  function renderPrCurves(e) {
    var wrap = $("pr-wrap");
    wrap.textContent = "";
    var curves = e.pr_curves || [];
    if (!curves.length) {
      wrap.appendChild(el("p", { class: "hint" }, "No precision–recall curves stored."));
      return;
    }
    var W = 520, H = 240;
    var box = { l: 48, r: W - 178, t: 10, b: H - 36 };
    var svg = svgEl("svg", { id: "pr-curves", viewBox: "0 0 " + W + " " + H });
    var sx = function (v) { return box.l + v * (box.r - box.l); };
    var sy = function (v) { return box.b - v * (box.b - box.t); };
    var ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
    axes(svg, box, ticks, ticks, sx, sy, "recall", "precision",
         function (t) { return t.toFixed(1); }, function (t) { return t.toFixed(1); });
    curves.forEach(function (c, i) {
      var color = CLASS_COLORS[i % CLASS_COLORS.length];
      var pts = c.points.map(function (p) { return sx(p[0]).toFixed(1) + "," + sy(p[1]).toFixed(1); });
      svg.appendChild(svgEl("polyline", { class: "curve", points: pts.join(" "), stroke: color,
                                          "data-class": c.class_name }));
      var ly = box.t + 12 + i * 18;
      svg.appendChild(svgEl("line", { x1: box.r + 12, x2: box.r + 30, y1: ly - 4, y2: ly - 4,
                                      stroke: color, "stroke-width": 3 }));
      svg.appendChild(svgEl("text", { class: "label", x: box.r + 35, y: ly }, c.class_name));
    });
    wrap.appendChild(svg);
  }

  function renderDetail() {
    var d = $("detail");
    if (!selected) {
      d.hidden = true;
      return;
    }
    var e = selected;
    d.hidden = false;
    $("detail-title").textContent = e.team + " / " + e.name + " " + e.version;
    var s = (e.rank === null ? "Unranked: " + (e.unranked_reason || "") : "Rank " + e.rank) +
            " · status " + e.status + (e.message ? " (" + e.message + ")" : "") + " · " +
            e.frames + " timed frames · " + e.latency_kind + " latency · artifact " +
            String(e.artifact_sha256).slice(0, 12);
    $("detail-summary").textContent = s;
    var ul = $("detail-audits");
    ul.textContent = "";
    if (!e.audits.length) ul.appendChild(el("li", null, "No audits recorded."));
    e.audits.forEach(function (a) {
      var li = el("li");
      li.appendChild(el("span", { class: a.passed ? "pass" : "fail" },
                        (a.passed ? "passed " : "FAILED ") + a.name));
      if (a.detail) li.appendChild(document.createTextNode(": " + a.detail));
      ul.appendChild(li);
    });
    renderHistogram(e);
    renderPrCurves(e);
  }

  function select(e) {
    selected = e;
    if (history.replaceState) history.replaceState(null, "", "#entry-" + e._index);
    renderTable();
    renderScatter();
    renderDetail();
  }

  renderTable();
  renderScatter();
  // "?sort=KEY" or "?sort=KEY:asc|desc" sorts as clicks on that header would.
  var sortParam = /[?&]sort=([A-Za-z0-9_]+)(?::(asc|desc))?/.exec(location.search);
  if (sortParam) {
    for (var clicks = 0; clicks < 2; clicks++) {
      var th = document.querySelector('th[data-key="' + sortParam[1] + '"]');
      if (!th) break;
      if (clicks === 0 || (sortParam[2] && th.getAttribute("aria-sort") !==
                           (sortParam[2] === "asc" ? "ascending" : "descending"))) th.click();
    }
  }
  // "#entry-N" in the address opens entry N's detail (links and tests use it).
  var m = /^#entry-(\d+)$/.exec(location.hash);
  if (m && entries[+m[1]]) select(entries[+m[1]]);
  document.body.setAttribute("data-rendered", "true");
})();
