// telemdb console: explore. Measurements -> fields -> tag keys -> tag values, each with a
// count (series per measurement and per tag value, values per tag key), from SHOW
// statements; a click builds a query the Query view runs.
"use strict";
(function (T) {
  const SERIES_LIMIT = 20000;
  const ex = { m: null, field: null, key: null, value: null, series: null, loaded: false };
  T.explore = ex;

  function item(text, count, onClick, on, extra) {
    return T.el("li", { class: on ? "on" : "", onclick: onClick, tabindex: "0", role: "button",
      "data-name": text, onkeydown: (e) => { if (e.key === "Enter") onClick(); } },
      T.el("span", {}, text, extra ? T.el("span", { class: "type" }, extra) : null),
      count === null ? null : T.el("span", { class: "count" }, count));
  }

  function rowsOf(resp, col) {
    const out = [];
    for (const r of resp.results || []) for (const s of r.series || []) {
      const i = s.columns.indexOf(col);
      for (const v of s.values || []) out.push(i >= 0 ? v[i] : v[0]);
    }
    return out;
  }

  // Parses "m,k=v,k2=v2" series keys (escaped commas, spaces and equals signs honoured).
  function parseKey(key) {
    const parts = [];
    let cur = "";
    for (let i = 0; i < key.length; i++) {
      if (key[i] === "\\" && i + 1 < key.length) { cur += key[++i]; continue; }
      if (key[i] === ",") { parts.push(cur); cur = ""; continue; }
      cur += key[i];
    }
    parts.push(cur);
    const tags = {};
    for (const p of parts.slice(1)) {
      const eq = p.indexOf("=");
      if (eq > 0) tags[p.slice(0, eq)] = p.slice(eq + 1);
    }
    return { m: parts[0], tags };
  }

  function built() {
    if (!ex.m) return null;
    const f = ex.field || "*";
    const sel = f === "*" ? "*" : "mean(" + T.quoteIdent(f) + ")";
    let q = "SELECT " + sel + " FROM " + T.quoteIdent(ex.m) + " WHERE time > now() - 1h";
    if (ex.key && ex.value !== null) q += " AND " + T.quoteIdent(ex.key) + " = " + T.quoteString(ex.value);
    if (f !== "*") {
      q += " GROUP BY time(1m)";
      if (ex.key && ex.value === null) q += ", " + T.quoteIdent(ex.key);
      q += " fill(none)";
    } else {
      q += " LIMIT 100";
    }
    return q;
  }

  function showBuilt() {
    const q = built();
    T.$("ex-query").textContent = q || "Pick a measurement, then a field.";
    T.$("ex-run").disabled = !q;
  }

  async function loadMeasurements() {
    const err = T.$("explore-error");
    err.textContent = "";
    try {
      const [ms, series] = await Promise.all([T.query("SHOW MEASUREMENTS"),
        T.query("SHOW SERIES LIMIT " + SERIES_LIMIT)]);
      ex.series = rowsOf(series, "key").map(parseKey);
      const capped = ex.series.length >= SERIES_LIMIT;
      const counts = {};
      for (const s of ex.series) counts[s.m] = (counts[s.m] || 0) + 1;
      const list = T.clear(T.$("ex-measurements"));
      const names = rowsOf(ms, "name");
      const dl = T.clear(T.$("live-measurements"));
      for (const m of names) {
        list.append(item(m, (counts[m] || 0) + (capped ? "+" : "") + " series", () => pickMeasurement(m), m === ex.m));
        dl.append(T.el("option", { value: m }));
      }
      if (!names.length) list.append(T.el("li", { class: "muted" }, "no measurements yet"));
      ex.loaded = true;
      if (!ex.m && names.length) await pickMeasurement(names[0]);
    } catch (e) {
      err.textContent = e.message;
    }
  }

  async function pickMeasurement(m) {
    Object.assign(ex, { m, field: null, key: null, value: null });
    for (const li of T.$("ex-measurements").children) li.classList.toggle("on", li.dataset.name === m);
    T.clear(T.$("ex-tagvalues"));
    try {
      const [fields, keys] = await Promise.all([
        T.query("SHOW FIELD KEYS FROM " + T.quoteIdent(m)),
        T.query("SHOW TAG KEYS FROM " + T.quoteIdent(m))]);
      const fl = T.clear(T.$("ex-fields"));
      let fieldRows = [];
      for (const r of fields.results || []) for (const s of r.series || []) fieldRows = fieldRows.concat(s.values || []);
      for (const [name, type] of fieldRows) {
        fl.append(item(name, null, () => pickField(name), false, type));
      }
      const kl = T.clear(T.$("ex-tagkeys"));
      const mine = (ex.series || []).filter((s) => s.m === m);
      for (const k of rowsOf(keys, "tagKey")) {
        const values = new Set(mine.filter((s) => k in s.tags).map((s) => s.tags[k]));
        kl.append(item(k, values.size + " values", () => pickKey(k), false));
      }
    } catch (e) {
      T.$("explore-error").textContent = e.message;
    }
    showBuilt();
  }

  function pickField(f) {
    ex.field = ex.field === f ? null : f;
    for (const li of T.$("ex-fields").children) li.classList.toggle("on", li.dataset.name === ex.field);
    showBuilt();
  }

  async function pickKey(k) {
    ex.key = k;
    ex.value = null;
    for (const li of T.$("ex-tagkeys").children) li.classList.toggle("on", li.dataset.name === k);
    const vl = T.clear(T.$("ex-tagvalues"));
    try {
      const resp = await T.query("SHOW TAG VALUES FROM " + T.quoteIdent(ex.m) + " WITH KEY = " + T.quoteIdent(k));
      const counts = {};
      for (const s of ex.series || []) if (s.m === ex.m && k in s.tags) counts[s.tags[k]] = (counts[s.tags[k]] || 0) + 1;
      for (const v of rowsOf(resp, "value")) {
        vl.append(item(v, (counts[v] || 0) + " series", () => pickValue(v), false));
      }
    } catch (e) {
      T.$("explore-error").textContent = e.message;
    }
    showBuilt();
  }

  function pickValue(v) {
    ex.value = ex.value === v ? null : v;
    for (const li of T.$("ex-tagvalues").children) li.classList.toggle("on", li.dataset.name === ex.value);
    showBuilt();
  }

  T.showExplore = function () { if (!ex.loaded) loadMeasurements(); };
  T.initExplore = function (runInQuery) {
    T.$("ex-run").addEventListener("click", () => { const q = built(); if (q) runInQuery(q); });
  };
  T.loadMeasurements = loadMeasurements;
})(window.TDB);
