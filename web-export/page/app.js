// maskbench leaderboard page: reads the leaderboard JSON (schema_version 2) embedded in
// index.html (works from file://, no network, no libraries) and draws one view per track:
// its table (references, ties, unranked reasons), its accuracy-vs-speedup scatter with the
// Pareto front, and a per-entry detail view. Text from the JSON only ever goes in through
// textContent and setAttribute: team names are untrusted.
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var CLASS_COLORS = ["#2f6fdf", "#c0392b", "#b7791f", "#1f8a4c", "#7d3c98", "#117a8b"];
  var TIE_TITLE = "intervals overlap: statistically tied; ranks unchanged";

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
    Object.keys(attrs).forEach(function (k) {
      if (attrs[k] !== undefined && attrs[k] !== null) node.setAttribute(k, String(attrs[k]));
    });
  }

  function isNum(v) { return typeof v === "number" && isFinite(v); }
  function str(v) {
    return typeof v === "string" ? v : v === null || v === undefined ? "" : String(v);
  }
  function obj(v) { return v !== null && typeof v === "object" && !Array.isArray(v) ? v : {}; }
  function arr(v) { return Array.isArray(v) ? v : []; }

  function fmt(v, digits) { return isNum(v) ? v.toFixed(digits) : "—"; }

  function fmtMs(v) {
    if (!isNum(v)) return "—";
    return v >= 100 ? v.toFixed(1) : v >= 10 ? v.toFixed(2) : v.toFixed(3);
  }

  function fmtSpeedup(v) {
    if (!isNum(v)) return "—";
    return (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) + "×";
  }

  function fmtInt(v) {
    if (!isNum(v)) return "—";
    return Math.round(v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  // "[lo, hi]" of an interval, or "" when there is none.
  function fmtInterval(iv, f) {
    if (!Array.isArray(iv) || iv.length !== 2 || !isNum(iv[0]) || !isNum(iv[1])) return "";
    return "[" + f(iv[0]) + ", " + f(iv[1]) + "]";
  }

  function shortSha(s) { return str(s).slice(0, 12); }

  // A link relative to the page, or null: no scheme ("javascript:", "http:") and no absolute path.
  function safeLink(href) {
    if (typeof href !== "string" || !href) return null;
    if (/^[A-Za-z][A-Za-z0-9+.\-]*:/.test(href) || /^[\/\\]/.test(href)) return null;
    return href;
  }

  function clip(s, n) { s = str(s); return s.length > n ? s.slice(0, n - 1) + "…" : s; }

  // ---- data ----
  var doc;
  function fail(message) {
    var c = $("context");
    c.textContent = "";
    c.appendChild(el("dt", null, "Error"));
    c.appendChild(el("dd", { class: "fail" }, message));
    document.body.setAttribute("data-rendered", "error");
  }
  try {
    doc = JSON.parse($("leaderboard-data").textContent);
  } catch (e) {
    fail("Could not read the embedded leaderboard JSON: " + e.message);
    return;
  }
  if (!doc || doc.schema_version !== 2) {
    fail("This page reads leaderboard schema_version 2; the embedded document is version " +
         str(doc && doc.schema_version) + ".");
    return;
  }
  var ctx = obj(doc.context);
  var rules = obj(ctx.rules);
  var tracks = arr(doc.tracks);
  var confidence = isNum(obj(rules.uncertainty).confidence) ? rules.uncertainty.confidence : 0.95;
  var ciLabel = Math.round(confidence * 100) + "% interval";
  var percentile = isNum(rules.headline_percentile) ? rules.headline_percentile : 90;
  tracks.forEach(function (t, ti) {
    t._index = ti;
    t.entries = arr(t.entries);
    t.entries.forEach(function (e, i) {
      e._index = i;
      e.accuracy = obj(e.accuracy);
      e.intervals = obj(e.intervals);
      e.seal = obj(e.seal);
      e.outside_scores = obj(e.outside_scores);
      e.measured_latency_ms = obj(e.measured_latency_ms);
    });
  });
  var state = { track: 0, selected: null, sort: tracks.map(function () {
    return { key: "rank", dir: 1 };
  }) };

  // ---- context header and notes ----
  function renderContext() {
    var c = $("context");
    c.textContent = "";
    function item(label, parts) {
      c.appendChild(el("dt", null, label));
      var dd = el("dd");
      parts.forEach(function (p) {
        if (typeof p === "string") dd.appendChild(document.createTextNode(p));
        else dd.appendChild(p);
      });
      c.appendChild(dd);
      return dd;
    }
    var ds = obj(ctx.dataset);
    item("Data set", [str(ds.name) + " / " + str(ds.split) + " · " + fmtInt(ds.frames) +
                      " frames · manifest ", el("code", null, shortSha(ds.manifest_sha256))]);
    item("Harness", [str(ctx.harness_version)]);
    item("Rules", [str(ctx.rules_source) + (rules.name ? " (" + str(rules.name) + ")" : "") +
                   " · sha ", el("code", null, shortSha(ctx.rules_sha256))]);
    var machines = arr(ctx.machines);
    var dd = item(machines.length === 1 ? "Machine" : "Machines", machines.length ? [] : ["none"]);
    machines.forEach(function (m) {
      m = obj(m);
      var line = el("span", { class: "machine" }, str(m.cpu_model) + " · " + fmtInt(m.cores) +
                    " cores · class " + str(m.node_class) + " · ");
      line.appendChild(el("code", null, shortSha(m.fingerprint)));
      dd.appendChild(line);
    });
    item("Generated", [str(ctx.generated_at)]);

    var notes = arr(ctx.notes);
    var list = $("notes-list");
    list.textContent = "";
    notes.forEach(function (n) { list.appendChild(el("li", null, str(n))); });
    $("notes").hidden = notes.length === 0;

    var total = tracks.reduce(function (n, t) { return n + t.entries.length; }, 0);
    $("footer").textContent = "schema_version " + doc.schema_version + " · " + tracks.length +
        (tracks.length === 1 ? " track" : " tracks") + " · " + total + " entries · maskbench";
  }

  // The rules' block for a track (free-form JSON: read defensively).
  function rulesTrack(t) {
    return obj(arr(rules.tracks).filter(function (r) { return obj(r).name === t.name; })[0]);
  }

  function betterWord(b) { return b === "lower" ? "lower is better" : "higher is better"; }

  function trackMeta(t) {
    var p = obj(t.primary);
    var parts = ["Ranked by " + str(p.key) + " (" + betterWord(p.better) + ")"];
    var tb = arr(rulesTrack(t).tie_breaks).map(function (k) { return str(obj(k).key); });
    if (tb.length) parts[0] += ", then " + tb.join(", ");
    if (t.composite !== null && t.composite !== undefined) {
      parts.push("score = " + str(t.composite));
    }
    var refs = obj(rules.references);
    parts.push("baseline " + (refs.baseline ? str(refs.baseline) + " " : "") +
               (isNum(t.baseline_latency_ms) ? fmtMs(t.baseline_latency_ms) + " ms" : "missing"));
    var gate = obj(rulesTrack(t).gate);
    if (gate.enabled !== false) {
      var ref = (refs.gate ? str(refs.gate) : "the gate reference") + " " +
                (isNum(t.gate_reference_value) ? fmt(t.gate_reference_value, 3) : "(no run)");
      parts.push(gate.metric && isNum(gate.min_ratio)
                     ? "gate: " + str(gate.metric) + " ≥ " + gate.min_ratio + " × " + ref
                     : "gate against " + ref);
    }
    if (t.board) {
      var b = obj(t.board);
      var lim = [["luts", "LUT"], ["ffs", "FF"], ["dsps", "DSP"], ["brams", "BRAM"]]
          .filter(function (k) { return isNum(b[k[0]]) && b[k[0]] > 0; })
          .map(function (k) { return fmtInt(b[k[0]]) + " " + k[1]; });
      parts.push("must fit " + str(b.part) + (lim.length ? " (" + lim.join(", ") + ")" : ""));
    }
    return parts.join(" · ");
  }

  // ---- tabs and track views ----
  function renderTracks() {
    var tabs = $("track-tabs");
    var holder = $("tracks");
    tabs.textContent = "";
    holder.textContent = "";
    if (!tracks.length) {
      holder.appendChild(el("p", { class: "panel hint" }, "The document has no track."));
      return;
    }
    tracks.forEach(function (t, ti) {
      var kind = str(t.latency_kind);
      var b = el("button", { type: "button", class: "tab", id: "tab-" + ti, role: "tab",
                             "aria-controls": "track-" + ti, "data-track": t.name });
      b.appendChild(el("span", { class: "tab-name" }, str(t.name)));
      b.appendChild(el("span", { class: "kind-badge kind-" + kind }, kind));
      b.addEventListener("click", function () { showTrack(ti, true); });
      tabs.appendChild(b);

      var s = el("section", { class: "panel track-view", id: "track-" + ti, role: "tabpanel",
                              "aria-labelledby": "tab-" + ti, "data-track": t.name });
      var h = el("h2", { class: "track-title" });
      h.appendChild(el("span", { class: "track-name" }, "Track " + str(t.name)));
      h.appendChild(el("span", { class: "kind-badge kind-" + kind }, kind + " latency"));
      s.appendChild(h);
      s.appendChild(el("p", { class: "hint track-meta" }, trackMeta(t)));
      var wrap = el("div", { class: "table-wrap", id: "table-wrap-" + ti });
      var table = el("table", { class: "board", id: "board-" + ti });
      var thead = el("thead");
      thead.appendChild(el("tr", { id: "board-head-" + ti }));
      table.appendChild(thead);
      table.appendChild(el("tbody", { id: "board-body-" + ti }));
      wrap.appendChild(table);
      s.appendChild(wrap);
      s.appendChild(legend(t));
      var fig = el("figure", { class: "scatter-figure" });
      fig.appendChild(el("figcaption", null, "Accuracy vs speedup: mAP50 against speedup (log " +
                         "scale); the dashed line joins the Pareto front of the ranked entries."));
      fig.appendChild(el("div", { class: "scatter-wrap", id: "scatter-wrap-" + ti }));
      s.appendChild(fig);
      holder.appendChild(s);
      renderTable(t);
      renderScatter(t);
    });
  }

  function legend(t) {
    var ul = el("ul", { class: "legend", id: "legend-" + t._index });
    var kind = t.latency_kind === "modeled" ? "modeled (cycles / clock)" : "measured (wall clock)";
    ul.appendChild(el("li", null, "Latency: p" + percentile + " of the per-frame " + kind +
                      " latency in ms; brackets: " + ciLabel + " (bootstrap)."));
    if (t.entries.some(function (e) { return isNum(e.tie_group); })) {
      var li = el("li");
      li.appendChild(el("span", { class: "tie" }, "="));
      li.appendChild(document.createTextNode(" statistically tied: the " + ciLabel + "s of " +
                                             str(obj(t.primary).key) +
                                             " overlap; the ranks are unchanged."));
      ul.appendChild(li);
    }
    if (t.entries.some(function (e) { return e.reference === true; })) {
      var r = el("li");
      r.appendChild(el("span", { class: "badge ref" }, "reference"));
      r.appendChild(document.createTextNode(" organiser reference: shown for comparison, never " +
                                            "ranked."));
      ul.appendChild(r);
    }
    if (t.entries.some(function (e) { return e.rank === null && e.reference !== true; })) {
      ul.appendChild(el("li", null, "— unranked: the reason is under the team."));
    }
    return ul;
  }

  function showTrack(ti, fromClick) {
    if (!tracks[ti]) return;
    state.track = ti;
    tracks.forEach(function (t, i) {
      var on = i === ti;
      $("track-" + i).hidden = !on;
      var b = $("tab-" + i);
      b.setAttribute("aria-selected", on ? "true" : "false");
      b.classList.toggle("active", on);
    });
    if (state.selected && state.selected.track !== ti) {
      state.selected = null;
      renderDetail();
    }
    document.body.setAttribute("data-visible-track", tracks[ti].name);
    if (fromClick && history.replaceState) history.replaceState(null, "", "#track-" + ti);
  }

  // ---- table ----
  function hasOutside(e) { return Object.keys(e.outside_scores).length > 0; }

  function columnsFor(t) {
    var cols = [COL.rank, COL.team, COL.kind, COL.latency, COL.speedup, COL.mAP50,
                COL.violation_recall];
    if ((t.composite !== null && t.composite !== undefined) || t.entries.some(hasOutside)) {
      cols.push(COL.score);
    }
    cols.push(COL.gate, COL.seal);
    if (t.entries.some(function (e) { return safeLink(e.report) !== null; })) cols.push(COL.report);
    return cols;
  }

  function withInterval(td, value, iv, f) {
    td.appendChild(el("span", { class: "value" }, value));
    var text = fmtInterval(iv, f);
    if (text) td.appendChild(el("span", { class: "ci", title: ciLabel }, text));
  }

  var COL = {
    rank: {
      key: "rank", label: "Rank", cls: "rank", get: function (e) { return e.rank; },
      render: function (td, e) {
        if (e.reference === true) {
          td.appendChild(el("span", { class: "badge ref", title: str(e.unranked_reason) },
                            "reference"));
        } else if (!isNum(e.rank)) {
          td.appendChild(el("span", { class: "no-rank", title: str(e.unranked_reason) }, "—"));
        } else {
          td.appendChild(el("span", { class: "rank-num" }, String(e.rank)));
          if (isNum(e.tie_group)) {
            td.appendChild(el("span", { class: "tie tie-g" + ((e.tie_group - 1) % 4 + 1),
                                        title: TIE_TITLE, "aria-label": TIE_TITLE,
                                        "data-tie-group": e.tie_group }, "="));
          }
        }
      }
    },
    team: {
      key: "team", label: "Team", text: true, cls: "text team",
      get: function (e) { return str(e.display_name); },
      render: function (td, e) {
        td.appendChild(el("span", { class: "name", title: str(e.team) + " · " + str(e.submission) +
                                    " " + str(e.version) }, str(e.display_name)));
        td.appendChild(el("span", { class: "team-id" }, str(e.team_id)));
        if (e.rank === null && e.reference !== true && e.unranked_reason) {
          td.appendChild(el("span", { class: "reason" }, str(e.unranked_reason)));
        }
      }
    },
    kind: {
      key: "kind", label: "Latency kind", text: true, cls: "text kind", sortable: false,
      render: function (td, e, t) {
        td.appendChild(el("span", { class: "kind-" + str(t.latency_kind) }, str(t.latency_kind)));
        if (e.cycles) td.appendChild(el("span", { class: "cycles" }, "cycles: " + str(e.cycles)));
      }
    },
    latency: {
      key: "latency", label: "Latency (ms)", asc: true, get: function (e) { return e.latency_ms; },
      render: function (td, e) {
        withInterval(td, fmtMs(e.latency_ms), e.intervals.latency_ms, fmtMs);
      }
    },
    speedup: {
      key: "speedup", label: "Speedup", get: function (e) { return e.speedup; },
      render: function (td, e) {
        if (e.gate_passed === false && e.reference !== true) {
          // Not a result: an entry that fails the gate has no ranked speedup.
          td.appendChild(el("span", { class: "no-rank", title: "fails the accuracy gate" +
                                      (isNum(e.speedup) ? " (measured " + fmtSpeedup(e.speedup) +
                                                          ", not ranked)" : "") }, "—"));
          return;
        }
        withInterval(td, fmtSpeedup(e.speedup), e.intervals.speedup, function (v) {
          return fmtSpeedup(v).replace("×", "");
        });
      }
    },
    mAP50: {
      key: "mAP50", label: "mAP50", get: function (e) { return e.accuracy.mAP50; },
      render: function (td, e) {
        withInterval(td, fmt(e.accuracy.mAP50, 3), e.intervals.mAP50, function (v) {
          return v.toFixed(3);
        });
      }
    },
    violation_recall: {
      key: "violation_recall", label: "Violation recall",
      get: function (e) { return e.accuracy.violation_recall; },
      render: function (td, e) { td.textContent = fmt(e.accuracy.violation_recall, 3); }
    },
    score: {
      key: "score", label: "Score", get: function (e) { return e.score; },
      render: function (td, e) {
        if (isNum(e.score)) td.appendChild(el("span", { class: "value" }, fmt(e.score, 3)));
        Object.keys(e.outside_scores).sort().forEach(function (k) {
          var v = e.outside_scores[k];
          td.appendChild(el("span", { class: "outside" },
                            k + " " + (isNum(v) ? String(+v.toPrecision(6)) : "—")));
        });
        if (!td.childNodes.length) td.textContent = "—";
      }
    },
    gate: {
      key: "gate", label: "Gate", text: true,
      get: function (e) {
        return e.gate_passed === true ? "pass" : e.gate_passed === false ? "fail" : "";
      },
      render: function (td, e) {
        var g = COL.gate.get(e);
        td.appendChild(el("span", { class: g === "pass" ? "pass" : g === "fail" ? "fail" : "" },
                          g || "—"));
      }
    },
    seal: {
      key: "seal", label: "Seal", text: true, get: function (e) { return str(e.seal.level); },
      render: function (td, e) {
        var level = str(e.seal.level) || "unknown";
        var reason = str(e.seal.reason);
        td.appendChild(el("span", {
          class: "seal seal-" + (level === "full" ? "full" : "weak"),
          title: reason || (level === "full" ? "fully sealed" : "no reason recorded")
        }, level + (reason && level !== "full" ? " *" : "")));
      }
    },
    report: {
      key: "report", label: "Report", text: true, sortable: false,
      render: function (td, e) {
        var href = safeLink(e.report);
        if (href === null) {
          td.textContent = "—";
          return;
        }
        var a = el("a", { class: "report-link", href: href }, "report");
        a.addEventListener("click", function (ev) { ev.stopPropagation(); });
        td.appendChild(a);
      }
    }
  };

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

  function renderHead(t, cols) {
    var head = $("board-head-" + t._index);
    var sort = state.sort[t._index];
    head.textContent = "";
    cols.forEach(function (col) {
      var th = el("th", { "data-key": col.key, scope: "col", class: col.cls || "" });
      if (col.sortable === false) {
        th.textContent = col.label;
      } else {
        var b = el("button", { type: "button", class: "sort", "data-key": col.key }, col.label);
        b.addEventListener("click", function () {
          if (sort.key === col.key) {
            sort.dir = -sort.dir;
          } else {
            sort.key = col.key;
            // Numbers where bigger is better start descending.
            sort.dir = col.text || col.key === "rank" || col.asc ? 1 : -1;
          }
          renderTable(t);
        });
        th.appendChild(b);
        if (sort.key === col.key) {
          th.setAttribute("aria-sort", sort.dir > 0 ? "ascending" : "descending");
        }
      }
      head.appendChild(th);
    });
  }

  function renderTable(t) {
    var cols = columnsFor(t);
    renderHead(t, cols);
    var sort = state.sort[t._index];
    var col = cols.filter(function (c) { return c.key === sort.key; })[0] || COL.rank;
    var rows = t.entries.slice().sort(compare(col, sort.dir));
    var body = $("board-body-" + t._index);
    body.textContent = "";
    rows.forEach(function (e) {
      var cls = "entry " + pointClass(e);
      if (isNum(e.tie_group)) cls += " tied";
      var sel = state.selected;
      if (sel && sel.track === t._index && sel.entry === e._index) cls += " selected";
      var tr = el("tr", { class: cls, "data-entry": e._index, "data-team-id": e.team_id,
                          tabindex: 0 });
      cols.forEach(function (c) {
        var td = el("td", { class: (c.cls || (c.text ? "text" : "")) + " col-" + c.key });
        c.render(td, e, t);
        tr.appendChild(td);
      });
      tr.addEventListener("click", function () { select(t._index, e._index); });
      tr.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter") select(t._index, e._index);
      });
      body.appendChild(tr);
    });
  }

  // ---- scatter: mAP50 vs speedup (log x), Pareto front of the ranked entries ----
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
    svg.appendChild(svgEl("text", { x: (box.l + box.r) / 2, y: box.b + 32,
                                    "text-anchor": "middle" }, xLabel));
    svg.appendChild(svgEl("text", { x: 14, y: (box.t + box.b) / 2, "text-anchor": "middle",
                                    transform: "rotate(-90 14 " + (box.t + box.b) / 2 + ")" },
                          yLabel));
  }

  function pointClass(e) {
    return e.reference === true ? "reference" : isNum(e.rank) ? "ranked" : "unranked";
  }

  function renderScatter(t) {
    var ti = t._index;
    var W = 560, H = 340;
    var box = { l: 58, r: W - 16, t: 14, b: H - 42 };
    var wrap = $("scatter-wrap-" + ti);
    wrap.textContent = "";
    var pts = t.entries.filter(function (e) {
      return isNum(e.speedup) && e.speedup > 0 && isNum(e.accuracy.mAP50);
    }).map(function (e) { return { x: e.speedup, y: e.accuracy.mAP50, e: e }; });
    if (!pts.length) {
      wrap.appendChild(el("p", { class: "hint" }, "No entry of this track has both a speedup " +
                          "and an mAP50."));
      return;
    }
    var svg = svgEl("svg", { id: "scatter-" + ti, class: "scatter", viewBox: "0 0 " + W + " " + H,
                             role: "img", "aria-label": "mAP50 against speedup" });
    var xs = pts.map(function (p) { return p.x; }), ys = pts.map(function (p) { return p.y; });
    var xlo = Math.min.apply(null, xs) / 1.5, xhi = Math.max.apply(null, xs) * 1.5;
    var ylo = Math.min.apply(null, ys), yhi = Math.max.apply(null, ys);
    var pad = Math.max((yhi - ylo) * 0.1, 0.01);
    ylo = Math.max(0, ylo - pad);
    yhi = Math.min(1, yhi + pad);
    if (yhi <= ylo) yhi = ylo + 0.01;
    var sx = function (v) {
      var f = (Math.log(v) - Math.log(xlo)) / (Math.log(xhi) - Math.log(xlo));
      return box.l + f * (box.r - box.l);
    };
    var sy = function (v) { return box.b - (v - ylo) / (yhi - ylo) * (box.b - box.t); };
    var yTicks = linearTicks(ylo, yhi, 5);
    var yDigits = 2;  // enough decimals that no two ticks read the same
    while (yDigits < 5 && yTicks.some(function (v, i) {
      return i > 0 && v.toFixed(yDigits) === yTicks[i - 1].toFixed(yDigits);
    })) yDigits++;
    axes(svg, box, niceLogTicks(xlo, xhi), yTicks, sx, sy, "speedup (×, log scale)", "mAP50",
         function (v) { return v >= 1 ? String(v) : v.toPrecision(1); },
         function (v) { return v.toFixed(yDigits); });
    var front = paretoFront(pts.filter(function (p) { return isNum(p.e.rank); }));
    var d = front.map(function (p, i) {
      return (i ? "L" : "M") + sx(p.x).toFixed(1) + " " + sy(p.y).toFixed(1);
    }).join(" ");
    svg.appendChild(svgEl("path", { id: "pareto-front-" + ti, class: "pareto", d: d || "M0 0",
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
    var sel = state.selected;
    pts.forEach(function (p) {
      var selected = sel && sel.track === ti && sel.entry === p.e._index;
      var c = svgEl("circle", {
        class: "point " + pointClass(p.e) + (front.indexOf(p) >= 0 ? " pareto-point" : "") +
               (selected ? " selected" : ""),
        cx: sx(p.x).toFixed(1), cy: sy(p.y).toFixed(1), r: 6, "data-entry": p.e._index });
      c.appendChild(svgEl("title", null, str(p.e.display_name) + " (" + str(p.e.team_id) +
                          "): mAP50 " + fmt(p.y, 3) + ", speedup " + fmtSpeedup(p.x) +
                          (p.e.reference === true ? " (reference)" : isNum(p.e.rank)
                              ? " (rank " + p.e.rank + ")" : " (unranked)")));
      c.addEventListener("click", function () { select(ti, p.e._index); });
      svg.appendChild(c);
    });
    // Labels after the circles, best-ranked first so they get the free spots.
    pts.slice().sort(function (a, b) {
      return (isNum(a.e.rank) ? a.e.rank : 1e9) - (isNum(b.e.rank) ? b.e.rank : 1e9);
    }).forEach(function (p) {
      var label = clip(p.e.display_name, 24);
      var at = placeLabel(sx(p.x), sy(p.y), label);
      if (at) svg.appendChild(svgEl("text", { class: "label", x: at[0].toFixed(1),
                                              y: at[1].toFixed(1) }, label));
    });
    wrap.appendChild(svg);
  }

  // ---- detail: facts, audits, latency histogram, precision-recall curves ----
  function renderHistogram(e, t) {
    var wrap = $("histogram-wrap");
    wrap.textContent = "";
    $("histogram-caption").textContent = "Per-frame " + str(t.latency_kind) + " latency (ms)";
    var h = obj(e.latency_histogram);
    var edges = arr(h.edges), counts = arr(h.counts);
    if (!counts.length || edges.length !== counts.length + 1) {
      wrap.appendChild(el("p", { class: "hint" }, "No timed frames."));
      return;
    }
    var W = 520, H = 200;
    var box = { l: 48, r: W - 12, t: 10, b: H - 36 };
    var svg = svgEl("svg", { id: "histogram", viewBox: "0 0 " + W + " " + H });
    var lo = edges[0], hi = edges[edges.length - 1];
    var maxCount = Math.max(1, Math.max.apply(null, counts));
    var sx = function (v) { return box.l + (v - lo) / (hi - lo) * (box.r - box.l); };
    var sy = function (v) { return box.b - v / maxCount * (box.b - box.t); };
    axes(svg, box, linearTicks(lo, hi, 5), linearTicks(0, maxCount, 4).filter(function (v) {
      return Math.abs(v - Math.round(v)) < 1e-9;
    }), sx, sy, "latency (ms)", "frames",
         function (v) { return v.toPrecision(3); }, function (v) { return String(v); });
    counts.forEach(function (n, i) {
      var x0 = sx(edges[i]), x1 = sx(edges[i + 1]);
      var bar = svgEl("rect", { class: "bar", x: (x0 + 0.5).toFixed(1), y: sy(n).toFixed(1),
                                width: Math.max(0.5, x1 - x0 - 1).toFixed(1),
                                height: (box.b - sy(n)).toFixed(1) });
      bar.appendChild(svgEl("title", null, fmt(edges[i], 3) + "–" + fmt(edges[i + 1], 3) +
                            " ms: " + n + " frames"));
      svg.appendChild(bar);
    });
    wrap.appendChild(svg);
  }

  function renderPrCurves(e) {
    var wrap = $("pr-wrap");
    wrap.textContent = "";
    $("pr-caption").textContent = "Precision–recall per class" +
        (e.pr_curves_metric ? " (" + str(e.pr_curves_metric) + ")" : "");
    var curves = arr(e.pr_curves);
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
         function (v) { return v.toFixed(1); }, function (v) { return v.toFixed(1); });
    curves.forEach(function (c, i) {
      c = obj(c);
      var color = CLASS_COLORS[i % CLASS_COLORS.length];
      var pts = arr(c.points).filter(function (p) { return isNum(p[0]) && isNum(p[1]); })
          .map(function (p) { return sx(p[0]).toFixed(1) + "," + sy(p[1]).toFixed(1); });
      svg.appendChild(svgEl("polyline", { class: "curve", points: pts.join(" "), stroke: color,
                                          "data-class": str(c.class_name) }));
      var ly = box.t + 12 + i * 18;
      svg.appendChild(svgEl("line", { x1: box.r + 12, x2: box.r + 30, y1: ly - 4, y2: ly - 4,
                                      stroke: color, "stroke-width": 3 }));
      svg.appendChild(svgEl("text", { class: "label", x: box.r + 35, y: ly },
                            clip(c.class_name, 24)));
    });
    wrap.appendChild(svg);
  }

  function renderFacts(e, t) {
    var dl = $("detail-facts");
    dl.textContent = "";
    function fact(label, value) {
      if (value === null || value === undefined || value === "") return null;
      dl.appendChild(el("dt", null, label));
      var dd = el("dd");
      if (typeof value === "string") dd.textContent = value;
      else dd.appendChild(value);
      dl.appendChild(dd);
      return dd;
    }
    fact("Team", str(e.team));
    fact("Submission", str(e.submission) + " " + str(e.version) + " · artifact " +
         shortSha(e.artifact_sha256));
    fact("Run", "#" + str(e.run_id) + " · status " + str(e.status) +
         (e.message ? ": " + str(e.message) : ""));
    fact("Frames", fmtInt(e.frames) + " timed · selection " + str(e.frame_selection) +
         (e.partial ? " (partial run)" : ""));
    fact("Trials", fmtInt(e.trials) + (isNum(e.trial_spread) ? " · spread " +
         (e.trial_spread * 100).toFixed(1) + "% of the median" : ""));
    fact("Latency (" + str(t.latency_kind) + ")", fmtMs(e.latency_ms) + " ms " +
         fmtInterval(e.intervals.latency_ms, fmtMs));
    var m = e.measured_latency_ms;
    if (isNum(m.p50) || isNum(m.p90) || isNum(m.p99)) {
      fact("Measured p50 / p90 / p99", fmtMs(m.p50) + " / " + fmtMs(m.p90) + " / " + fmtMs(m.p99) +
           " ms");
    }
    if (isNum(e.modeled_latency_ms)) fact("Modeled latency", fmtMs(e.modeled_latency_ms) + " ms");
    if (e.cycles) fact("Cycles", str(e.cycles));
    if (isNum(e.energy_uj)) fact("Energy", fmt(e.energy_uj, 1) + " µJ per frame");
    if (e.resources) {
      var r = obj(e.resources), b = t.board ? obj(t.board) : {};
      var kinds = [["luts", "LUT"], ["ffs", "FF"], ["dsps", "DSP"], ["brams", "BRAM"]];
      var parts = kinds.map(function (k) {
        var over = isNum(r[k[0]]) && isNum(b[k[0]]) && b[k[0]] > 0 && r[k[0]] > b[k[0]];
        return fmtInt(r[k[0]]) + (isNum(b[k[0]]) && b[k[0]] > 0 ? " / " + fmtInt(b[k[0]]) : "") +
               " " + k[1] + (over ? " (over)" : "");
      });
      fact("Resources" + (b.part ? " (" + str(b.part) + ")" : ""), parts.join(" · "));
    }
    fact("Accuracy", "mAP50 " + fmt(e.accuracy.mAP50, 4) + " · AP " + fmt(e.accuracy.AP, 4) +
         " · violation recall " + fmt(e.accuracy.violation_recall, 3) + " · precision " +
         fmt(e.accuracy.violation_precision, 3));
    var outside = Object.keys(e.outside_scores);
    if (outside.length) {
      fact("Outside scores", outside.sort().map(function (k) {
        return k + " " + str(e.outside_scores[k]);
      }).join(" · "));
    }
    if (isNum(e.score)) fact("Score", fmt(e.score, 4));
    fact("Seal", str(e.seal.level) + (e.seal.reason ? ": " + str(e.seal.reason) : ""));
    fact("Machine", str(e.node_class) + " · " + shortSha(e.machine) +
         (isNum(e.noise_load) ? " · load " + fmt(e.noise_load, 2) + " per CPU" : ""));
    var href = safeLink(e.report);
    if (href !== null) fact("Report", el("a", { class: "report-link", href: href }, href));
  }

  function renderDetail() {
    var d = $("detail");
    var sel = state.selected;
    var t = sel && tracks[sel.track];
    var e = t && t.entries[sel.entry];
    if (!e) {
      d.hidden = true;
      return;
    }
    d.hidden = false;
    $("detail-title").textContent = str(e.display_name) + " (" + str(e.team_id) + ") · track " +
        str(t.name);
    var s = e.reference === true ? "Organiser reference: shown, never ranked."
          : isNum(e.rank) ? "Rank " + e.rank + " in track " + str(t.name) +
            (isNum(e.tie_group) ? " · " + TIE_TITLE : "")
          : "Unranked: " + str(e.unranked_reason);
    $("detail-summary").textContent = s;
    renderFacts(e, t);
    var ul = $("detail-audits");
    ul.textContent = "";
    var audits = arr(e.audits);
    if (!audits.length) ul.appendChild(el("li", null, "No audits recorded."));
    audits.forEach(function (a) {
      a = obj(a);
      var li = el("li");
      li.appendChild(el("span", { class: a.passed === true ? "pass" : "fail" },
                        (a.passed === true ? "passed " : "FAILED ") + str(a.name)));
      if (a.detail) li.appendChild(document.createTextNode(": " + str(a.detail)));
      ul.appendChild(li);
    });
    renderHistogram(e, t);
    renderPrCurves(e);
  }

  function select(ti, i) {
    if (!tracks[ti] || !tracks[ti].entries[i]) return;
    if (state.track !== ti) showTrack(ti, false);
    state.selected = { track: ti, entry: i };
    if (history.replaceState) history.replaceState(null, "", "#entry-" + ti + "-" + i);
    renderTable(tracks[ti]);
    renderScatter(tracks[ti]);
    renderDetail();
  }

  $("detail-close").addEventListener("click", function () {
    var ti = state.track;
    state.selected = null;
    renderDetail();
    if (tracks[ti]) {
      renderTable(tracks[ti]);
      renderScatter(tracks[ti]);
      if (history.replaceState) history.replaceState(null, "", "#track-" + ti);
    }
  });

  renderContext();
  renderTracks();
  if (tracks.length) {
    // "#track-T" shows track T, "#entry-T-N" opens entry N of track T (0-based, in the JSON's
    // order); links and tests use them.
    var hash = /^#(?:track-(\d+)|entry-(\d+)-(\d+))$/.exec(location.hash);
    var first = hash ? +(hash[1] || hash[2]) : 0;
    showTrack(tracks[first] ? first : 0, false);
    // "?sort=KEY" or "?sort=KEY:asc|desc" sorts the shown track as clicks on that header would.
    var sortParam = /[?&]sort=([A-Za-z0-9_]+)(?::(asc|desc))?/.exec(location.search);
    if (sortParam) {
      for (var clicks = 0; clicks < 2; clicks++) {
        var th = document.querySelector("#board-head-" + state.track + ' th[data-key="' +
                                        sortParam[1] + '"]');
        var button = th && th.querySelector("button.sort");
        if (!button) break;
        if (clicks === 0 || (sortParam[2] && th.getAttribute("aria-sort") !==
                             (sortParam[2] === "asc" ? "ascending" : "descending"))) {
          button.click();
        }
      }
    }
    if (hash && hash[2] !== undefined) select(+hash[2], +hash[3]);
  }
  document.body.setAttribute("data-rendered", "true");
})();
