// telemdb console: the query editor. A transparent textarea over a highlighted copy of its
// text (a small tokenizer of our own), the error mark at a line and column, the per-browser
// history (localStorage: queries only, never the token) and the time-range rewriting.
"use strict";
(function (T) {
  const KEYWORDS = new Set(("SELECT FROM WHERE GROUP BY ORDER LIMIT SLIMIT OFFSET SOFFSET AND OR " +
    "NOT AS ASC DESC FILL SHOW MEASUREMENTS MEASUREMENT TAG TAGS KEYS KEY VALUES FIELD SERIES WITH " +
    "IN ON DELETE DATABASES DATABASE RETENTION POLICIES CREATE DROP NULL NONE PREVIOUS LINEAR " +
    "TRUE FALSE EXPLAIN INTO").split(" "));
  const HISTORY_KEY = "telemdb.history";
  const HISTORY_MAX = 30;

  // Tokens: [kind, text]. Kinds: kw fn str num dur re cmt id var ws op.
  function tokenize(s) {
    const out = [];
    let i = 0;
    const push = (k, t) => out.push([k, t]);
    while (i < s.length) {
      const c = s[i], rest = s.slice(i);
      let m;
      if ((m = /^\s+/.exec(rest))) { push("ws", m[0]); }
      else if ((m = /^--[^\n]*/.exec(rest))) { push("cmt", m[0]); }
      else if ((m = /^'(?:[^'\\]|\\.)*'?/.exec(rest))) { push("str", m[0]); }
      else if ((m = /^"(?:[^"\\]|\\.)*"?/.exec(rest))) { push("id", m[0]); }
      else if (c === "/" && /(=~|!~)\s*$/.test(s.slice(0, i)) && (m = /^\/(?:[^/\\\n]|\\.)*\/?/.exec(rest))) { push("re", m[0]); }
      else if ((m = /^\$[A-Za-z_]+/.exec(rest))) { push("var", m[0]); }
      else if ((m = /^\d+(?:\.\d+)?(?:ns|us|µ|u|ms|s|m|h|d|w)\b/.exec(rest))) { push("dur", m[0]); }
      else if ((m = /^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(rest))) { push("num", m[0]); }
      else if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) {
        const w = m[0];
        if (/^\s*\(/.test(s.slice(i + w.length))) push("fn", w);
        else push(KEYWORDS.has(w.toUpperCase()) ? "kw" : "id", w);
      } else { push("op", c); }
      i += out[out.length - 1][1].length;
    }
    return out;
  }
  T.tokenize = tokenize;

  let errorOffset = -1;

  function render() {
    const src = T.$("q"), hl = T.$("hl");
    const text = src.value;
    T.clear(hl);
    let pos = 0;
    for (const [kind, tok] of tokenize(text)) {
      const end = pos + tok.length;
      if (errorOffset >= pos && errorOffset < end) {
        // Split the token around the marked character.
        const k = errorOffset - pos;
        if (k > 0) hl.append(T.el("span", { class: kind }, tok.slice(0, k)));
        hl.append(T.el("span", { class: kind + " err-mark", id: "err-mark" }, tok.slice(k, k + 1)));
        if (k + 1 < tok.length) hl.append(T.el("span", { class: kind }, tok.slice(k + 1)));
      } else if (kind === "ws" || kind === "op") {
        hl.append(tok);
      } else {
        hl.append(T.el("span", { class: kind }, tok));
      }
      pos = end;
    }
    if (errorOffset >= text.length && errorOffset >= 0) {
      hl.append(T.el("span", { class: "err-mark", id: "err-mark" }, " "));
    }
    hl.append("\n");  // a trailing newline in the textarea needs a line here too
    hl.scrollTop = src.scrollTop;
  }

  // Marks line `line`, column `col` (1-based; columns count characters) of the text; null clears.
  T.markError = function (line, col) {
    errorOffset = -1;
    if (line) {
      const lines = T.$("q").value.split("\n");
      let off = 0;
      for (let i = 0; i < line - 1 && i < lines.length; i++) off += lines[i].length + 1;
      errorOffset = off + Math.max(0, col - 1);
    }
    render();
  };
  T.errorOffset = () => errorOffset;

  T.getQuery = () => T.$("q").value;
  T.setQuery = function (text) {
    T.$("q").value = text;
    errorOffset = -1;
    render();
  };

  // Rewrites the statement's time condition for a picker choice: "15m" -> time > now() - 15m;
  // custom -> time >= 'from' AND time <= 'to'. Inserts one when the statement has none.
  T.applyRange = function (text, range) {
    const cond = range.from
      ? "time >= '" + range.from + "' AND time <= '" + range.to + "'"
      : "time > now() - " + range.last;
    const existing = /time\s*>=?\s*(?:now\(\)\s*-\s*\d+[a-zµ]+|'[^']*'|\d+[a-zµ]*)(?:\s+AND\s+time\s*<=?\s*(?:now\(\)(?:\s*-\s*\d+[a-zµ]+)?|'[^']*'|\d+[a-zµ]*))?/i;
    if (/\$timeFilter/.test(text)) return text.replace(/\$timeFilter/g, cond);
    if (existing.test(text)) return text.replace(existing, cond);
    if (!/^\s*SELECT\b/i.test(text)) return text;
    if (/\bWHERE\b/i.test(text)) return text.replace(/\bWHERE\b/i, (w) => w + " " + cond + " AND");
    const clause = /\b(GROUP\s+BY|ORDER\s+BY|LIMIT|SLIMIT|fill\s*\()/i;
    if (clause.test(text)) return text.replace(clause, (c) => "WHERE " + cond + " " + c);
    return text.replace(/\s*;?\s*$/, "") + " WHERE " + cond;
  };

  T.history = function () {
    try { return JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]"); } catch (e) { return []; }
  };
  T.remember = function (q) {
    const h = T.history().filter((x) => x !== q);
    h.unshift(q);
    localStorage.setItem(HISTORY_KEY, JSON.stringify(h.slice(0, HISTORY_MAX)));
    T.renderHistory();
  };
  T.renderHistory = function () {
    const sel = T.$("history");
    T.clear(sel).append(T.el("option", { value: "" }, "Recent queries (" + T.history().length + ")…"));
    for (const q of T.history()) sel.append(T.el("option", { value: q }, q.length > 90 ? q.slice(0, 90) + "…" : q));
  };

  T.initEditor = function (onRun) {
    const src = T.$("q");
    src.addEventListener("input", () => { errorOffset = -1; render(); });
    src.addEventListener("scroll", () => { T.$("hl").scrollTop = src.scrollTop; });
    src.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); onRun(); }
      else if (e.key === "Tab" && !e.shiftKey) {
        e.preventDefault();
        const s = src.selectionStart;
        src.setRangeText("  ", s, src.selectionEnd, "end");
        render();
      }
    });
    T.$("history").addEventListener("change", (e) => {
      if (e.target.value) { T.setQuery(e.target.value); e.target.value = ""; }
    });
    T.renderHistory();
    render();
  };
})(window.TDB);
