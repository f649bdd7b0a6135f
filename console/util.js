// telemdb console: shared helpers. Every API call goes through TDB.api, which sends the
// token from sessionStorage in the Authorization header (never a cookie, never a URL).
"use strict";
window.TDB = window.TDB || {};
(function (T) {
  const TOKEN_KEY = "telemdb.token";

  T.token = () => sessionStorage.getItem(TOKEN_KEY) || "";
  T.setToken = (t) => t ? sessionStorage.setItem(TOKEN_KEY, t) : sessionStorage.removeItem(TOKEN_KEY);

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }
  T.ApiError = ApiError;

  // fetch() with the token; JSON in and out. Throws ApiError with the server's message.
  T.api = async function (path, opts = {}) {
    const headers = { "Authorization": "Bearer " + T.token() };
    let body;
    if (opts.form) {
      body = new URLSearchParams(opts.form);
      headers["Content-Type"] = "application/x-www-form-urlencoded";
    } else if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers["Content-Type"] = "application/json";
    }
    let resp;
    try {
      resp = await fetch(path, { method: opts.method || (body ? "POST" : "GET"), headers, body,
        credentials: "omit", cache: "no-store", signal: opts.signal });
    } catch (e) {
      if (e.name === "AbortError") throw e;
      throw new ApiError(0, "cannot reach the server (" + e.message + ")");
    }
    const text = await resp.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!resp.ok) {
      const msg = data && data.error ? data.error : (text || resp.statusText);
      if (resp.status === 401 && T.onUnauthorized) T.onUnauthorized(msg);
      throw new ApiError(resp.status, msg);
    }
    return data;
  };

  // InfluxQL over /query (POST form: the text never lands in a URL or a log). Times in ms.
  T.query = (q, signal) => T.api("/query", { form: { q, epoch: "ms" }, signal });

  // A small DOM builder: el("td", {class: "num"}, "12"). Text is always text, never HTML.
  T.el = function (tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(e.dataset, v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  };
  T.$ = (id) => document.getElementById(id);
  T.clear = (e) => { while (e.firstChild) e.removeChild(e.firstChild); return e; };

  T.fmtNum = function (v) {
    if (v === null || v === undefined) return "";
    if (typeof v !== "number") return String(v);
    if (Number.isInteger(v)) return v.toLocaleString("en-US");
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e9) ? v.toExponential(4) : String(+v.toPrecision(7));
  };
  T.fmtBytes = function (n) {
    if (typeof n !== "number") return String(n);
    const u = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + " " + u[i];
  };
  T.fmtTime = (ms) => ms ? new Date(ms).toISOString().replace("T", " ").replace(/\.000Z$|Z$/, "Z") : "";
  T.fmtNs = (ns) => ns ? T.fmtTime(Math.floor(ns / 1e6)) : "—";

  // CSV field quoting as the server's /query CSV does.
  T.csvField = function (s) {
    s = s === null || s === undefined ? "" : String(s);
    return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };

  T.download = function (name, type, text) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = T.el("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  };

  // The colours of the current theme, for the charts.
  T.cssVar = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  // Line colours: --c0 … --c9 of the current theme (app.css), so that legend swatches
  // (classes c0 … c9) match without inline styles.
  T.palette = () => [...Array(10).keys()].map((i) => T.cssVar("--c" + i));
  T.quoteIdent = (s) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : '"' + s.replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"';
  T.quoteString = (s) => "'" + s.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
})(window.TDB);
