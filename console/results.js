// telemdb console: results of /query. One chart per value column with one line per series
// (group), a table, CSV and JSON downloads. Large results are averaged into buckets for
// drawing only, and the page says so; the table and the downloads keep every row.
"use strict";
(function (T) {
  // Dygraphs' own legend sets style attributes (refused by the CSP): ours replaces it.
  if (window.Dygraph && Dygraph.Plugins && Dygraph.Plugins.Legend) {
    Dygraph.PLUGINS = Dygraph.PLUGINS.filter((p) => p !== Dygraph.Plugins.Legend);
  }
  const MAX_DRAWN = 2000;       // rows per chart before bucketing
  const MAX_TABLE = 1000;       // rows shown in the table
  const state = { resp: null, query: "", charts: [], view: "chart" };
  T.results = state;

  // The series of every statement, flattened: [{name, tags, columns, values}], and the
  // statement errors.
  function flatten(resp) {
    const series = [], errors = [];
    for (const r of (resp && resp.results) || []) {
      if (r.error) errors.push(r.error);
      for (const s of r.series || []) series.push(s);
    }
    return { series, errors };
  }

  const fmtSpan = (ms) => ms >= 3600e3 ? (ms / 3600e3).toPrecision(3) + " h"
    : ms >= 60e3 ? (ms / 60e3).toPrecision(3) + " min" : ms >= 1e3 ? (ms / 1e3).toPrecision(3) + " s"
      : Math.round(ms) + " ms";
  const tagText = (tags) => Object.entries(tags || {}).map(([k, v]) => k + "=" + v).join(",");
  function lineLabel(s, many) {
    const t = tagText(s.tags);
    if (!t) return s.name;
    return many ? s.name + " " + t : t;
  }

  const num = (v) => typeof v === "number" ? v : (typeof v === "boolean" ? (v ? 1 : 0) : null);

  // The rows of one value column for Dygraphs: [[Date, line1, line2, ...]], merged on time.
  // Past MAX_DRAWN distinct times, each line is averaged into MAX_DRAWN equal time buckets
  // (nulls skipped), so memory and drawing stay bounded whatever the result's size.
  function chartRows(series, col) {
    const cols = series.map((s) => [s.columns.indexOf("time"), s.columns.indexOf(col)]);
    const times = new Set();
    let tmin = Infinity, tmax = -Infinity;
    series.forEach((s, i) => {
      const [ti, ci] = cols[i];
      if (ti < 0 || ci < 0) return;
      for (const row of s.values || []) {
        times.add(row[ti]);
        if (row[ti] < tmin) tmin = row[ti];
        if (row[ti] > tmax) tmax = row[ti];
      }
    });
    const distinct = times.size;
    times.clear();
    if (distinct <= MAX_DRAWN) {
      const byTime = new Map();
      series.forEach((s, i) => {
        const [ti, ci] = cols[i];
        if (ti < 0 || ci < 0) return;
        for (const row of s.values || []) {
          let r = byTime.get(row[ti]);
          if (!r) { r = new Array(series.length).fill(null); byTime.set(row[ti], r); }
          r[i] = num(row[ci]);
        }
      });
      const rows = [...byTime.keys()].sort((a, b) => a - b).map((t) => [new Date(t), ...byTime.get(t)]);
      return { rows, distinct, bucketed: false };
    }
    const width = Math.max(1, (tmax - tmin + 1) / MAX_DRAWN);
    const sums = new Float64Array(MAX_DRAWN * series.length);
    const counts = new Uint32Array(MAX_DRAWN * series.length);
    series.forEach((s, i) => {
      const [ti, ci] = cols[i];
      if (ti < 0 || ci < 0) return;
      for (const row of s.values || []) {
        const v = num(row[ci]);
        if (v === null) continue;
        const b = Math.min(MAX_DRAWN - 1, Math.floor((row[ti] - tmin) / width));
        sums[b * series.length + i] += v;
        counts[b * series.length + i]++;
      }
    });
    const rows = [];
    for (let b = 0; b < MAX_DRAWN; b++) {
      const r = [new Date(tmin + b * width)];
      let any = false;
      for (let i = 0; i < series.length; i++) {
        const n = counts[b * series.length + i];
        r.push(n ? sums[b * series.length + i] / n : null);
        any = any || n > 0;
      }
      if (any) rows.push(r);
    }
    return { rows, distinct, bucketed: true, width };
  }

  // Our own legend (Dygraphs' legend plugin writes style attributes, which the console's CSP
  // refuses): the lines with their tag values and, under the crosshair, the time and values.
  function renderLegend(legend, g, x, points) {
    const labels = g.getLabels().slice(1);
    const vals = new Map((points || []).map((p) => [p.name, p.yval]));
    const parts = [];
    if (x !== undefined && x !== null) parts.push(T.el("span", { class: "val" }, T.fmtTime(x)));
    labels.forEach((label, i) => {
      const v = vals.get(label);
      parts.push(T.el("span", { class: "legend-item", "data-label": label },
        T.el("span", { class: "swatch c" + (i % 10) }), label,
        v !== undefined && v !== null && !Number.isNaN(v) ? T.el("span", { class: "val" }, " " + T.fmtNum(v)) : null));
    });
    T.clear(legend).append(...parts);
  }
  T.renderLegend = renderLegend;

  function drawCharts(series) {
    const box = T.clear(T.$("charts"));
    for (const c of state.charts) c.graph && c.graph.destroy();
    state.charts = [];
    const cols = [];
    for (const s of series) for (const c of s.columns) if (c !== "time" && !cols.includes(c)) cols.push(c);
    const timed = series.filter((s) => s.columns.includes("time"));
    const notes = [];
    if (!timed.length || !cols.length) {
      box.append(T.el("div", { class: "placeholder muted" }, series.length
        ? "No time column to chart: see the table." : "No rows in this time range."));
      return notes;
    }
    const names = new Set(timed.map((s) => s.name));
    const labels = timed.map((s) => lineLabel(s, names.size > 1));
    const colors = T.palette();
    for (const col of cols) {
      const cr = chartRows(timed, col);
      const rows = cr.rows;
      if (!rows.length) continue;
      const numeric = rows.some((r) => r.slice(1).some((v) => v !== null));
      if (!numeric) continue;
      if (cr.bucketed) {
        notes.push(col + ": " + cr.distinct.toLocaleString("en-US") + " time points drawn as " +
          rows.length.toLocaleString("en-US") + " means over " + fmtSpan(cr.width));
      }
      const chartDiv = T.el("div", { class: "chart" });
      const legend = T.el("div", { class: "legend" });
      const wrap = T.el("div", { class: "chart-box", dataset: { field: col, lines: String(labels.length) } },
        T.el("h3", {}, col), chartDiv, legend);
      box.append(wrap);
      const graph = new Dygraph(chartDiv, rows, {
        labels: ["time", ...labels],
        colors: labels.map((_, i) => colors[i % colors.length]),
        legend: "never",
        drawCallback: (g) => renderLegend(legend, g),
        highlightCallback: function (e, x, points) { renderLegend(legend, this, x, points); },
        unhighlightCallback: function () { renderLegend(legend, this); },
        labelsUTC: true,
        connectSeparatedPoints: true,
        strokeWidth: 1.5,
        highlightCircleSize: 3,
        axisLineColor: T.cssVar("--border"),
        gridLineColor: T.cssVar("--grid"),
        axisLabelWidth: chartDiv.clientWidth < 500 ? 44 : 60,
        axes: { x: { pixelsPerLabel: 56 } },
        plugins: Dygraph.Plugins.Crosshair ? [new Dygraph.Plugins.Crosshair({ direction: "vertical", strokeStyle: T.cssVar("--muted") })] : [],
      });
      state.charts.push({ field: col, labels, graph, points: rows.length });
    }
    return notes;
  }

  function drawTable(series) {
    const wrap = T.clear(T.$("table-wrap"));
    const cols = [];
    for (const s of series) for (const c of s.columns) if (c !== "time" && !cols.includes(c)) cols.push(c);
    const hasTime = series.some((s) => s.columns.includes("time"));
    const table = T.el("table", { id: "result-table" });
    table.append(T.el("thead", {}, T.el("tr", {}, T.el("th", {}, "name"), T.el("th", {}, "tags"),
      hasTime ? T.el("th", {}, "time") : null, cols.map((c) => T.el("th", {}, c)))));
    const tbody = T.el("tbody");
    let n = 0, total = 0;
    for (const s of series) {
      const ti = s.columns.indexOf("time");
      for (const row of s.values || []) {
        total++;
        if (n >= MAX_TABLE) continue;
        n++;
        tbody.append(T.el("tr", {}, T.el("td", {}, s.name), T.el("td", { class: "mono" }, tagText(s.tags)),
          hasTime ? T.el("td", { class: "mono" }, ti >= 0 ? T.fmtTime(row[ti]) : "") : null,
          cols.map((c) => { const i = s.columns.indexOf(c); const v = i >= 0 ? row[i] : null;
            return T.el("td", { class: typeof v === "number" ? "num" : "" }, T.fmtNum(v)); })));
      }
    }
    table.append(tbody);
    wrap.append(table);
    return total > MAX_TABLE ? "the table shows the first " + MAX_TABLE.toLocaleString("en-US") +
      " of " + total.toLocaleString("en-US") + " rows (the downloads hold all)" : null;
  }

  // CSV: name,tags,time,<columns>, one header, times in RFC 3339 (UTC, milliseconds), values as
  // the API's JSON gave them.
  T.toCsv = function (resp) {
    const { series } = flatten(resp);
    const cols = [];
    for (const s of series) for (const c of s.columns) if (c !== "time" && !cols.includes(c)) cols.push(c);
    const lines = [["name", "tags", "time", ...cols].map(T.csvField).join(",")];
    for (const s of series) {
      const ti = s.columns.indexOf("time");
      const idx = cols.map((c) => s.columns.indexOf(c));
      for (const row of s.values || []) {
        const f = [s.name, tagText(s.tags), ti >= 0 ? new Date(row[ti]).toISOString() : ""];
        for (const i of idx) f.push(i >= 0 && row[i] !== null ? row[i] : "");
        lines.push(f.map(T.csvField).join(","));
      }
    }
    return lines.join("\n") + "\n";
  };

  T.showResults = function (resp, query, elapsedMs) {
    state.resp = resp;
    state.query = query;
    const { series, errors } = flatten(resp);
    const rows = series.reduce((n, s) => n + (s.values ? s.values.length : 0), 0);
    T.$("query-error").textContent = errors.join("\n");
    const notes = drawCharts(series);
    const tableNote = drawTable(series);
    if (tableNote) notes.push(tableNote);
    const notice = T.$("notice");
    notice.textContent = notes.length ? "Downsampled for drawing, nothing dropped: " + notes.join("; ") + "." : "";
    notice.hidden = !notes.length;
    T.$("query-status").textContent = series.length + " series, " + rows.toLocaleString("en-US") +
      " rows in " + Math.round(elapsedMs) + " ms";
    T.$("dl-csv").disabled = T.$("dl-json").disabled = !series.length;
    T.$("charts").dataset.series = String(series.length);
    T.$("charts").dataset.rows = String(rows);
  };

  T.clearResults = function (message) {
    for (const c of state.charts) c.graph && c.graph.destroy();
    state.charts = [];
    state.resp = null;
    T.clear(T.$("charts")).append(T.el("div", { class: "placeholder muted" }, message || "Run a query to see a chart."));
    T.clear(T.$("table-wrap"));
    T.$("notice").hidden = true;
    T.$("dl-csv").disabled = T.$("dl-json").disabled = true;
    T.$("charts").dataset.series = "0";
  };

  T.setView = function (v) {
    state.view = v;
    T.$("show-chart").classList.toggle("on", v === "chart");
    T.$("show-table").classList.toggle("on", v === "table");
    T.$("charts").hidden = v !== "chart";
    T.$("table-wrap").hidden = v !== "table";
    if (v === "chart") for (const c of state.charts) c.graph.resize();
  };

  T.redrawCharts = function () {
    if (state.resp) T.showResults(state.resp, state.query, 0);
  };

  T.initResults = function () {
    T.$("show-chart").addEventListener("click", () => T.setView("chart"));
    T.$("show-table").addEventListener("click", () => T.setView("table"));
    const stamp = () => new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
    T.$("dl-csv").addEventListener("click", () => {
      if (state.resp) T.download("telemdb-" + stamp() + ".csv", "text/csv", T.toCsv(state.resp));
    });
    T.$("dl-json").addEventListener("click", () => {
      if (state.resp) T.download("telemdb-" + stamp() + ".json", "application/json", JSON.stringify(state.resp, null, 1));
    });
  };
})(window.TDB);
