// callscope report: draws the distribution charts and the call timelines
// from the JSON in #callscope-data with DOM methods only (no innerHTML).
(function () {
  "use strict";
  var body = document.body;
  function fail(msg) {
    var pre = document.getElementById("js-errors");
    if (pre) { pre.hidden = false; pre.textContent += msg + "\n"; }
    body.setAttribute("data-rendered", "error");
  }
  window.onerror = function (msg, src, line, col) {
    fail("script error: " + msg + " (line " + line + ":" + col + ")");
    return true;
  };

  var NS = "http://www.w3.org/2000/svg";
  var COLORS = {
    agent: "#2563eb", customer: "#16a34a", bot: "#9333ea", unknown: "#64748b",
    interruption: "#dc2626", overtalk: "#ea580c", backchannel: "#0891b2",
    gap: "#e2e8f0", non_talk: "#fcd34d", dead_air: "#f87171",
    dtmf: "#db2777", pause: "#334155",
    critical: "#b91c1c", warning: "#d97706", info: "#2563eb"
  };
  function el(name, attrs, parent, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) { if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k])); }
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function tip(e, text) { el("title", {}, e, text); return e; }
  function fmt(x) { return (Math.round(x * 100) / 100).toFixed(2); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(ms) {
    var d = new Date(ms);
    return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }
  function roleColor(r) { return COLORS[r] || COLORS.unknown; }

  var data;
  try {
    data = JSON.parse(document.getElementById("callscope-data").textContent);
  } catch (e) {
    fail("cannot read report data: " + e.message);
    return;
  }

  // ---- distribution charts -------------------------------------------
  function histogram(fig) {
    var m = fig.getAttribute("data-metric");
    var isScore = m === "q";
    var bins = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    var vals = data.dist.map(function (p) { return p[m]; });
    vals.forEach(function (v) {
      var x = isScore ? v / 100 : v;
      var i = Math.floor(x * 10);
      if (!(i >= 0)) i = 0;
      if (i > 9) i = 9;
      bins[i]++;
    });
    var W = 300, H = 140, L = 26, B = 22, T = 26, R = 6;
    var max = Math.max.apply(null, bins.concat([1]));
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": fig.getAttribute("data-label"), "class": "histogram" }, fig);
    var bw = (W - L - R) / 10;
    el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#cbd5e1" }, svg);
    for (var i = 0; i < 10; i++) {
      var h = (H - B - T) * bins[i] / max;
      var x = L + i * bw;
      var r = el("rect", { x: x + 1.5, y: H - B - h, width: bw - 3, height: Math.max(h, 0), rx: 2, fill: isScore ? (i < 5 ? COLORS.critical : i < 8 ? COLORS.warning : COLORS.customer) : "#3b82f6", "class": "bar" }, svg);
      var lo = isScore ? i * 10 : i * 10 + " %", hi = isScore ? (i + 1) * 10 : (i + 1) * 10 + " %";
      tip(r, bins[i] + " call(s) with " + fig.getAttribute("data-label") + " " + lo + " – " + hi);
      if (bins[i] > 0) el("text", { x: x + bw / 2, y: H - B - h - 2, "text-anchor": "middle", "font-size": 10, fill: "#334155" }, svg, String(bins[i]));
      if (i % 2 === 0) el("text", { x: x, y: H - 8, "font-size": 10, fill: "#64748b", "text-anchor": "middle" }, svg, isScore ? String(i * 10) : (i * 10) + "%");
    }
    el("text", { x: W - R, y: H - 8, "font-size": 10, fill: "#64748b", "text-anchor": "end" }, svg, isScore ? "100" : "100%");
    el("text", { x: 2, y: T + 4, "font-size": 10, fill: "#64748b" }, svg, String(max));
    var mean = vals.length ? vals.reduce(function (a, b) { return a + b; }, 0) / vals.length : 0;
    el("text", { x: W - R, y: 10, "font-size": 10, fill: "#64748b", "text-anchor": "end" }, svg,
      "mean " + (isScore ? mean.toFixed(1) : (100 * mean).toFixed(1) + " %") + " · " + vals.length + " call(s)");
  }

  // ---- timelines -----------------------------------------------------
  var STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
  function tickStep(dur) {
    for (var i = 0; i < STEPS.length; i++) if (dur / STEPS[i] <= 12) return STEPS[i];
    return STEPS[STEPS.length - 1];
  }
  function secLabel(s, step) {
    if (step < 60) return s + " s";
    var m = Math.floor(s / 60);
    return m + " min";
  }

  function timeline(div, c) {
    var W = 1200, LBL = 210, X0 = LBL + 8, X1 = W - 12;
    var PZ_H = c.pz.length ? 16 : 0, FLAGS_H = 26 + PZ_H, LANE_H = 34, SIL_H = 16, AXIS_H = 34, GAP = 4;
    var dur = Math.max(c.dur, 0.01);
    var nl = c.lanes.length;
    var laneY = {};
    var y = FLAGS_H + GAP;
    c.lanes.forEach(function (l, i) { laneY[l.ch] = y + i * LANE_H; });
    var silY = y + nl * LANE_H + GAP;
    var axisY = silY + SIL_H + 4;
    var H = axisY + AXIS_H;
    function X(t) { return X0 + (X1 - X0) * Math.min(Math.max(t, 0), dur) / dur; }
    // pauses shift the wall clock after their offset
    var pz = c.pz.slice().sort(function (a, b) { return a[0] - b[0]; });
    function wall(t) {
      var ms = c.start + t * 1000;
      pz.forEach(function (p) { if (p[0] <= t) ms += p[1] * 1000; });
      return ms;
    }
    var laneByCh = {};
    c.lanes.forEach(function (l) { laneByCh[l.ch] = l; });
    function who(ch) {
      var l = laneByCh[ch];
      return "ch " + ch + (l ? " (" + l.role + ")" : "");
    }

    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "timeline of call " + c.id, "class": "tl" }, div);
    var defs = el("defs", {}, svg);
    ["interruption", "overtalk", "backchannel"].forEach(function (k) {
      var mk = el("marker", { id: "arr-" + k + "-" + div.getAttribute("data-index"), viewBox: "0 0 8 8", refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
      el("path", { d: "M0,0 L8,4 L0,8 z", fill: COLORS[k] }, mk);
    });
    var hatch = el("pattern", { id: "hatch-" + div.getAttribute("data-index"), width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" }, defs);
    el("rect", { width: 6, height: 6, fill: "#fee2e2" }, hatch);
    el("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#fca5a5", "stroke-width": 3 }, hatch);

    // row labels and lane backgrounds
    el("text", { x: 4, y: FLAGS_H - 8, "class": "lbl" }, svg, "QA flags");
    if (PZ_H) el("text", { x: 4, y: 12, "class": "lbl" }, svg, "pauses");
    c.lanes.forEach(function (l, i) {
      var ly = laneY[l.ch];
      el("rect", { x: X0, y: ly + 2, width: X1 - X0, height: LANE_H - 4, fill: i % 2 ? "#f8fafc" : "#f1f5f9", rx: 3, "class": "lane", "data-ch": l.ch }, svg);
      el("rect", { x: 4, y: ly + 6, width: 4, height: LANE_H - 12, fill: roleColor(l.role), rx: 2 }, svg);
      el("text", { x: 14, y: ly + 15, "class": "lbl", fill: roleColor(l.role) }, svg, "ch " + l.ch + " · " + l.role);
      el("text", { x: 14, y: ly + 28, "class": "sub" }, svg, l.kind + (l.who ? " · " + l.who : ""));
    });
    el("text", { x: 4, y: silY + 12, "class": "lbl" }, svg, "silence");
    el("rect", { x: X0, y: silY, width: X1 - X0, height: SIL_H, fill: "#f8fafc", rx: 3 }, svg);

    // time grid and axis
    var step = tickStep(dur);
    var grid = el("g", { "class": "grid" }, svg);
    for (var t = 0; t <= dur + 1e-9; t += step) {
      var x = X(t);
      el("line", { x1: x, y1: FLAGS_H, x2: x, y2: axisY + 4, stroke: "#e2e8f0" }, grid);
      var anchor = t === 0 ? "start" : x > X1 - 24 ? "end" : "middle";
      el("text", { x: x, y: axisY + 15, "text-anchor": anchor, "class": "tick" }, grid, secLabel(t, step));
      el("text", { x: x, y: axisY + 28, "text-anchor": anchor, "class": "clock" }, grid, clock(wall(t)));
    }
    el("text", { x: 4, y: axisY + 15, "class": "sub" }, svg, "audio offset");
    el("text", { x: 4, y: axisY + 28, "class": "sub" }, svg, "wall clock (UTC)");

    // dead air and non-talk as light bands across the lanes, then the silence row
    c.sil.forEach(function (s) {
      if (s[2] === "dead_air") {
        el("rect", { x: X(s[0]), y: FLAGS_H + GAP, width: Math.max(X(s[1]) - X(s[0]), 1), height: nl * LANE_H, fill: "url(#hatch-" + div.getAttribute("data-index") + ")", opacity: 0.8 }, svg);
      }
    });
    c.sil.forEach(function (s) {
      var r = el("rect", { x: X(s[0]), y: silY + 2, width: Math.max(X(s[1]) - X(s[0]), 1), height: SIL_H - 4, fill: COLORS[s[2]] || COLORS.gap, rx: 2, "class": "sil hit", "data-kind": s[2] }, svg);
      tip(r, s[2].replace("_", " ") + " " + fmt(s[1] - s[0]) + " s at " + fmt(s[0]) + " s (" + clock(wall(s[0])) + ")");
      if (s[2] === "dead_air" && X(s[1]) - X(s[0]) > 60) {
        el("text", { x: (X(s[0]) + X(s[1])) / 2, y: silY + 11, "text-anchor": "middle", "font-size": 9, fill: "#7f1d1d" }, svg, "dead air " + Math.round(s[1] - s[0]) + " s");
      }
    });

    // speech segments
    c.seg.forEach(function (s) {
      var ly = laneY[s[0]];
      if (ly === undefined) return;
      var l = laneByCh[s[0]];
      var r = el("rect", { x: X(s[1]), y: ly + 8, width: Math.max(X(s[2]) - X(s[1]), 1), height: LANE_H - 16, fill: roleColor(l.role), rx: 2, "class": "seg hit", "data-ch": s[0] }, svg);
      tip(r, who(s[0]) + " speaks " + fmt(s[1]) + "–" + fmt(s[2]) + " s (" + fmt(s[2] - s[1]) + " s) · " + clock(wall(s[1])));
    });

    // overlaps: a band over the two lanes, an arrow from the newcomer (by) to the talker (of)
    c.ov.forEach(function (o) {
      var yb = laneY[o[3]], yo = laneY[o[4]];
      if (yb === undefined || yo === undefined) return;
      var top = Math.min(yb, yo) + 4, bot = Math.max(yb, yo) + LANE_H - 4;
      var x0 = X(o[0]), w = Math.max(X(o[1]) - x0, 2);
      var g = el("g", { "class": "ov", "data-kind": o[2] }, svg);
      el("rect", { x: x0, y: top, width: w, height: bot - top, fill: COLORS[o[2]] || "#999", opacity: 0.22, "class": "hit" }, g);
      el("rect", { x: x0, y: top, width: w, height: 3, fill: COLORS[o[2]] || "#999" }, g);
      var ax = x0 + Math.min(w / 2, 6);
      el("line", { x1: ax, y1: yb + LANE_H / 2, x2: ax, y2: yo + (yo > yb ? 6 : LANE_H - 6), stroke: COLORS[o[2]], "stroke-width": 1.5, "marker-end": "url(#arr-" + o[2] + "-" + div.getAttribute("data-index") + ")" }, g);
      el("circle", { cx: ax, cy: yb + LANE_H / 2, r: 2.5, fill: COLORS[o[2]] }, g);
      tip(g, o[2] + " by " + who(o[3]) + " of " + who(o[4]) + ", " + fmt(o[0]) + "–" + fmt(o[1]) + " s (" + fmt(o[1] - o[0]) + " s) · " + clock(wall(o[0])));
    });

    // DTMF digits: ticks on the lane, one label per burst
    var bursts = [];
    c.dt.forEach(function (d) {
      var ly = laneY[d[0]];
      if (ly === undefined) return;
      var r = el("rect", { x: X(d[1]) - 1, y: ly + 3, width: Math.max(X(d[2]) - X(d[1]), 2), height: LANE_H - 6, fill: COLORS.dtmf, "class": "dtmf hit" }, svg);
      tip(r, "DTMF " + d[3] + " on " + who(d[0]) + " at " + fmt(d[1]) + " s · " + clock(wall(d[1])));
      var b = bursts.length ? bursts[bursts.length - 1] : null;
      if (b && b.ch === d[0] && d[1] - b.end < 1.5) { b.end = d[2]; b.digits += d[3]; } else bursts.push({ ch: d[0], start: d[1], end: d[2], digits: d[3] });
    });
    bursts.forEach(function (b) {
      var ly = laneY[b.ch];
      var tx = el("text", { x: X(b.end) + 4, y: ly + LANE_H / 2 + 4, "font-size": 10, "font-weight": 600, fill: COLORS.dtmf, "class": "dtmf-label" }, svg, "DTMF " + b.digits);
      tip(tx, b.digits.length + " DTMF digit(s), masked");
    });

    // the top row holds pause and flag labels; place them without overlap
    var taken = [];
    function place(x, w) {
      for (var k = 0; k < taken.length; k++) if (x < taken[k][1] + 4 && x + w > taken[k][0] - 4) return false;
      taken.push([x, x + w]);
      return true;
    }
    function label(parent, anchorX, text, size, color, y, free) {
      var w = text.length * size * 0.58;
      var x = anchorX + 9;
      if (x + w > X1 || !(free || place(x, w))) {
        x = anchorX - 9 - w;
        if (x < X0 - 4 || !(free || place(x, w))) return null;
      }
      return el("text", { x: x, y: y, "font-size": size, "font-weight": 600, fill: color }, parent, text);
    }

    // pauses: a break marker at the offset, labelled with the wall-clock time not recorded
    pz.forEach(function (p) {
      var x = X(p[0]);
      var g = el("g", { "class": "pause" }, svg);
      el("rect", { x: x - 3, y: 2, width: 6, height: silY + SIL_H - 2, fill: "#fff" }, g);
      el("line", { x1: x - 3, y1: 2, x2: x - 3, y2: silY + SIL_H, stroke: COLORS.pause, "stroke-width": 1.5, "stroke-dasharray": "4 3" }, g);
      el("line", { x1: x + 3, y1: 2, x2: x + 3, y2: silY + SIL_H, stroke: COLORS.pause, "stroke-width": 1.5, "stroke-dasharray": "4 3" }, g);
      label(g, x, "paused " + Math.round(p[1]) + " s (" + clock(p[2]) + "–" + clock(p[2] + p[1] * 1000) + ")", 11, COLORS.pause, 12, true);
      tip(g, "recording paused at " + fmt(p[0]) + " s of audio for " + fmt(p[1]) + " s of wall clock (" + clock(p[2]) + " – " + clock(p[2] + p[1] * 1000) + " UTC)");
    });

    // QA flags at their moments (row on top), with a guide line down to the lane
    var fl = c.fl.slice().sort(function (a, b) { return a[0] - b[0]; });
    fl.forEach(function (f) {
      var x = X(f[0]);
      var col = COLORS[f[1]] || "#64748b";
      var g = el("g", { "class": "flag", "data-severity": f[1] }, svg);
      var y1 = silY + SIL_H;
      if (f[3] !== null && laneY[f[3]] !== undefined) { y1 = laneY[f[3]] + LANE_H - 2; }
      el("line", { x1: x, y1: FLAGS_H - 6, x2: x, y2: y1, stroke: col, "stroke-width": 1, "stroke-dasharray": "2 2", opacity: 0.9 }, g);
      el("path", { d: "M" + x + "," + (FLAGS_H - 18) + " l6,6 l-6,6 l-6,-6 z", fill: col, stroke: "#fff", "stroke-width": 1 }, g);
      tip(g, f[1] + ": " + f[2] + (f[3] !== null ? " (" + who(f[3]) + ")" : "") + " at " + fmt(f[0]) + " s · " + clock(wall(f[0])) + (f[4] ? " — " + f[4] : ""));
    });
    fl.forEach(function (f) { taken.push([X(f[0]) - 4, X(f[0]) + 4]); });
    pz.forEach(function (p) { taken.push([X(p[0]) - 5, X(p[0]) + 5]); });
    fl.forEach(function (f) { label(svg, X(f[0]), f[2] + (f[3] !== null ? " ch" + f[3] : ""), 10.5, COLORS[f[1]] || "#64748b", FLAGS_H - 8, false); });
    return svg;
  }

  var t0 = performance.now();
  try {
    var figs = document.querySelectorAll("figure.hist");
    for (var i = 0; i < figs.length; i++) histogram(figs[i]);
    var tls = document.querySelectorAll(".timeline[data-index]");
    for (var j = 0; j < tls.length; j++) {
      var c = data.calls[Number(tls[j].getAttribute("data-index"))];
      if (!c) { fail("no data for timeline " + tls[j].getAttribute("data-index")); continue; }
      timeline(tls[j], c);
    }
    if (body.getAttribute("data-rendered") !== "error") {
      body.setAttribute("data-rendered", "ok");
      body.setAttribute("data-timelines", String(tls.length));
      body.setAttribute("data-render-ms", String(Math.round(performance.now() - t0)));
    }
  } catch (e) {
    fail("drawing failed: " + (e && e.stack ? e.stack : e));
  }
})();
