// telemdb console: sign-in, identity, views (#query, #explore, #live, #admin), running
// queries with the time-range picker and auto-refresh.
"use strict";
(function (T) {
  const VIEWS = ["query", "explore", "live", "admin"];
  const INTERVAL = { "15m": "10s", "1h": "30s", "24h": "10m", "7d": "1h" };
  const S = { who: null, refreshTimer: null, running: null };
  T.session = S;

  function setView(name) {
    for (const v of ["login", "noread", ...VIEWS]) T.$(v + "-view").hidden = v !== name;
    for (const v of VIEWS) T.$("tab-" + v).classList.toggle("on", v === name);
    if (name !== "live") T.stopLive();
    if (name === "explore") T.showExplore();
    if (name === "admin") T.showAdmin();
    if (name === "query") for (const c of T.results.charts) c.graph.resize();
  }

  function route() {
    if (!S.who) return setView("login");
    let v = location.hash.slice(1);
    if (!VIEWS.includes(v)) v = "query";
    if (v === "admin" && !S.who.admin) v = "query";
    if (!S.who.read && v !== "admin") {
      T.$("noread-scopes").textContent = S.who.scopes.join(", ") || "(none)";
      return setView("noread");
    }
    setView(v);
  }

  function showIdentity(who) {
    const box = T.clear(T.$("who"));
    box.append(T.el("span", { id: "who-name" }, who.name),
      ...who.scopes.map((s) => T.el("span", { class: "scope" }, s)));
    box.title = who.name + " (" + who.kind + "): " + who.scopes.join(", ");
    T.$("tab-admin").hidden = !who.admin;
    T.$("tabs").hidden = false;
    T.$("logout").hidden = false;
  }

  function signOut(message) {
    T.setToken("");
    S.who = null;
    setRefresh(0);
    T.stopLive();
    T.clearResults();
    T.clear(T.$("who"));
    T.$("tabs").hidden = true;
    T.$("logout").hidden = true;
    T.$("tab-admin").hidden = true;
    T.$("login-error").textContent = message || "";
    T.$("token").value = "";
    setView("login");
  }

  async function signIn(token) {
    T.setToken(token);
    try {
      S.who = await T.api("/api/v1/whoami");
    } catch (e) {
      signOut(e.status === 401 ? "The server did not accept this token (" + e.message + ")." : e.message);
      return false;
    }
    T.$("login-error").textContent = "";
    showIdentity(S.who);
    route();
    if (S.who.read && !T.getQuery()) {
      T.setQuery(await defaultQuery());
      run();
    }
    return true;
  }

  async function defaultQuery() {
    try {
      const r = await T.query("SHOW MEASUREMENTS");
      const names = [];
      for (const x of r.results || []) for (const s of x.series || []) for (const v of s.values) names.push(v[0]);
      if (names.includes("readings")) {
        return "SELECT mean(velocity) FROM readings WHERE time > now() - 15m GROUP BY time(10s), fleet fill(none)";
      }
      if (names.length) return "SELECT * FROM " + T.quoteIdent(names[0]) + " WHERE time > now() - 15m LIMIT 100";
    } catch (e) { /* fall through */ }
    return "SHOW MEASUREMENTS";
  }

  function currentRange() {
    const v = T.$("range").value;
    if (v === "query") return null;
    if (v !== "custom") return { last: v };
    const f = T.$("range-from").value, t = T.$("range-to").value;
    if (!f || !t) return null;
    const iso = (s) => new Date(s + (s.length === 16 ? ":00" : "") + "Z").toISOString().replace(".000Z", "Z");
    return { from: iso(f), to: iso(t), span: new Date(t + "Z") - new Date(f + "Z") };
  }

  function intervalFor(range) {
    if (range.last) return INTERVAL[range.last];
    const s = Math.max(1, Math.round(range.span / 1000 / 200));
    return s >= 3600 ? Math.round(s / 3600) + "h" : s >= 60 ? Math.round(s / 60) + "m" : s + "s";
  }

  function applyRangeToEditor() {
    const range = currentRange();
    if (!range) return;
    let q = T.applyRange(T.getQuery(), range);
    q = q.replace(/GROUP\s+BY\s+time\(\s*\d+[a-zµ]+\s*\)/i, "GROUP BY time(" + intervalFor(range) + ")");
    T.setQuery(q);
  }

  // Shows the statement's own time range in the picker, so that the two never disagree.
  function syncRange(text) {
    const sel = T.$("range");
    if (sel.value === "custom") return;
    const m = /time\s*>=?\s*now\(\)\s*-\s*(\d+[a-zµ]+)/i.exec(text);
    const same = { "1d": "24h", "60m": "1h", "168h": "7d", "1w": "7d", "900s": "15m" };
    let v = "query";
    if (m) v = same[m[1]] || m[1];
    if (![...sel.options].some((o) => o.value === v && !o.hidden)) v = /\btime\b/i.test(text) || /\$timeFilter/.test(text) ? "query" : sel.value;
    sel.value = v;
  }

  // "error parsing query: line 1, column 8: ..." -> [1, 8].
  function errorPosition(msg) {
    const m = /line (\d+), column (\d+)/.exec(msg);
    return m ? [+m[1], +m[2]] : null;
  }

  async function run() {
    const text = T.getQuery().trim();
    if (!text || !S.who) return;
    if (!/\$timeFilter/.test(text)) syncRange(text);
    const range = currentRange() || { last: "1h" };
    const q = text.replace(/\$timeFilter/g, range.from ? "time >= '" + range.from + "' AND time <= '" + range.to + "'"
      : "time > now() - " + range.last).replace(/\$interval/g, intervalFor(range));
    if (S.running) S.running.abort();
    const ctl = S.running = new AbortController();
    T.$("run").disabled = true;
    T.$("query-status").textContent = "running…";
    const t0 = performance.now();
    try {
      const resp = await T.query(q, ctl.signal);
      T.markError(null);
      T.showResults(resp, q, performance.now() - t0);
      T.remember(text);
    } catch (e) {
      if (e.name === "AbortError") return;
      const pos = errorPosition(e.message);
      T.$("query-error").textContent = e.message;
      T.markError(pos ? pos[0] : null, pos ? pos[1] : null);
      T.clearResults(e.status === 403 ? "This token may not read that." : "No results.");
      T.$("query-status").textContent = "";
    } finally {
      if (S.running === ctl) { S.running = null; T.$("run").disabled = false; }
    }
  }
  T.run = run;

  function setRefresh(seconds) {
    if (S.refreshTimer) clearInterval(S.refreshTimer);
    S.refreshTimer = seconds > 0 ? setInterval(() => {
      if (!document.hidden && !T.$("query-view").hidden) run();
    }, seconds * 1000) : null;
  }

  function init() {
    T.initEditor(run);
    T.initResults();
    T.initExplore((q) => { T.setQuery(q); location.hash = "#query"; run(); });
    T.initLive();
    T.initAdmin();
    T.onUnauthorized = (msg) => { if (S.who) signOut("Signed out: the server no longer accepts this token (" + msg + ")."); };
    T.$("login-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const t = T.$("token").value.trim();
      if (t) signIn(t);
    });
    T.$("logout").addEventListener("click", () => signOut(""));
    T.$("run").addEventListener("click", run);
    T.$("range").addEventListener("change", () => {
      T.$("custom-range").hidden = T.$("range").value !== "custom";
      if (T.$("range").value === "custom" && !T.$("range-from").value) {
        const now = Date.now();
        const local = (ms) => new Date(ms).toISOString().slice(0, 19);
        T.$("range-from").value = local(now - 3600e3);
        T.$("range-to").value = local(now);
      }
      applyRangeToEditor();
      run();
    });
    for (const id of ["range-from", "range-to"]) T.$(id).addEventListener("change", () => { applyRangeToEditor(); run(); });
    T.$("refresh").addEventListener("change", (e) => setRefresh(+e.target.value));
    window.addEventListener("hashchange", route);
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => T.redrawCharts());
    const saved = T.token();
    if (saved) signIn(saved); else setView("login");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})(window.TDB);
