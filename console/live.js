// telemdb console: live tail. GET /api/v1/subscribe is read with fetch() and a stream reader
// (EventSource cannot send the Authorization header); points go to a rolling chart of the
// first field and a table of the newest rows.
"use strict";
(function (T) {
  const KEEP_POINTS = 600;   // per line in the chart
  const KEEP_ROWS = 100;     // in the table
  const live = { ctl: null, graph: null, lines: [], data: new Map(), points: 0, dirty: false, timer: null };
  T.live = live;

  function status(text) { T.$("live-status").textContent = text; }

  function redraw() {
    if (!live.dirty) return;
    live.dirty = false;
    const times = new Set();
    for (const m of live.data.values()) for (const t of m.keys()) times.add(t);
    const sorted = [...times].sort((a, b) => a - b).slice(-KEEP_POINTS);
    if (!sorted.length) return;
    const rows = sorted.map((t) => [new Date(t), ...live.lines.map((l) => {
      const v = live.data.get(l).get(t);
      return v === undefined ? null : v;
    })]);
    const opts = { file: rows, labels: ["time", ...live.lines] };
    if (live.graph) { live.graph.updateOptions(opts); return; }
    const box = T.$("live-chart");
    const legend = box.querySelector(".legend");
    live.graph = new Dygraph(box.querySelector(".chart"), rows, Object.assign(opts, {
      legend: "never", labelsUTC: true,
      drawCallback: (g) => T.renderLegend(legend, g),
      highlightCallback: function (e, x, points) { T.renderLegend(legend, this, x, points); },
      unhighlightCallback: function () { T.renderLegend(legend, this); },
      connectSeparatedPoints: true, strokeWidth: 1.5, colors: T.palette(),
      axisLineColor: T.cssVar("--border"), gridLineColor: T.cssVar("--grid"), axisLabelWidth: 60,
    }));
  }

  function onPoints(ev, field) {
    const tags = Object.entries(ev.tags || {}).map(([k, v]) => k + "=" + v).join(",") || ev.measurement;
    const tbody = T.$("live-table").tBodies[0];
    const f = field || Object.keys(ev.fields || {})[0];
    for (let i = 0; i < ev.time.length; i++) {
      live.points++;
      const vals = Object.entries(ev.fields || {}).map(([k, a]) => k + "=" + T.fmtNum(a[i])).join("  ");
      tbody.prepend(T.el("tr", {}, T.el("td", { class: "mono" }, T.fmtTime(ev.time[i])),
        T.el("td", { class: "mono" }, tags), T.el("td", { class: "mono" }, vals)));
      const v = f && ev.fields[f] ? ev.fields[f][i] : null;
      if (typeof v === "number") {
        if (!live.data.has(tags)) { live.data.set(tags, new Map()); live.lines.push(tags); }
        const m = live.data.get(tags);
        m.set(ev.time[i], v);
        if (m.size > KEEP_POINTS) m.delete(m.keys().next().value);
        live.dirty = true;
      }
    }
    while (tbody.rows.length > KEEP_ROWS) tbody.deleteRow(-1);
  }

  async function start(e) {
    e.preventDefault();
    stop();
    T.$("live-error").textContent = "";
    const m = T.$("live-m").value.trim();
    const fields = T.$("live-fields").value.split(",").map((s) => s.trim()).filter(Boolean);
    const params = new URLSearchParams({ measurement: m, epoch: "ms" });
    for (const f of fields) params.append("field", f);
    const where = T.$("live-where").value.trim();
    if (where) params.set("where", where);
    const since = T.$("live-since").value;
    if (since) params.set("since", since);
    Object.assign(live, { ctl: new AbortController(), lines: [], data: new Map(), points: 0 });
    if (live.graph) { live.graph.destroy(); live.graph = null; }
    T.clear(T.$("live-table").tBodies[0]);
    T.$("live-start").disabled = true;
    T.$("live-stop").disabled = false;
    live.timer = setInterval(redraw, 1000);
    let caught = !since;
    try {
      const resp = await fetch("/api/v1/subscribe?" + params, { headers: {
        "Authorization": "Bearer " + T.token(), "Accept": "text/event-stream" },
        credentials: "omit", cache: "no-store", signal: live.ctl.signal });
      if (!resp.ok) {
        let msg = resp.statusText;
        try { msg = (await resp.json()).error || msg; } catch (x) { /* not JSON */ }
        throw new Error(msg);
      }
      status("following " + m + (since ? ", history of the last " + since + " first" : ""));
      const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let cut;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          let event = "message", data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) event = line.slice(6).trim();
            else if (line.startsWith("data:")) data += line.slice(5).trim();
          }
          if (event === "points") onPoints(JSON.parse(data), fields[0]);
          else if (event === "caught_up") caught = true;
          else if (event === "overflow") T.$("live-error").textContent = "this page read too slowly; the server dropped " + JSON.parse(data).dropped_points + " points";
          else if (event === "end") { T.$("live-error").textContent = "the server ended the stream: " + JSON.parse(data).error; }
          if (event !== "message") status("following " + m + ": " + live.points.toLocaleString("en-US") +
            " points" + (caught ? ", live" : ", reading history…"));
        }
      }
    } catch (err) {
      if (err.name !== "AbortError") T.$("live-error").textContent = err.message;
    }
    stop();
  }

  function stop() {
    if (live.ctl) { live.ctl.abort(); live.ctl = null; }
    if (live.timer) { clearInterval(live.timer); live.timer = null; redraw(); }
    T.$("live-start").disabled = false;
    T.$("live-stop").disabled = true;
  }

  T.stopLive = stop;
  T.initLive = function () {
    T.$("live-form").addEventListener("submit", start);
    T.$("live-stop").addEventListener("click", () => { stop(); status("stopped after " + live.points.toLocaleString("en-US") + " points"); });
  };
})(window.TDB);
