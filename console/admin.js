// telemdb console: admin (shown only to identities with the admin right; the server checks
// the right again on every call). Stats, tokens (list, create, rotate, revoke; a secret is
// shown once), alert rules and firing alerts, audit chain verification.
"use strict";
(function (T) {
  const STATS = [
    ["version", "version", String], ["series", "series", T.fmtNum],
    ["stored_points", "stored points", T.fmtNum], ["head_points", "points in memory", T.fmtNum],
    ["disk_bytes", "on disk", T.fmtBytes], ["memory_bytes", "memory (accounted)", T.fmtBytes],
    ["rss_bytes", "resident memory", T.fmtBytes], ["wal_bytes", "WAL", T.fmtBytes],
    ["stored_chunks", "chunks", T.fmtNum], ["subscriptions", "live subscriptions", T.fmtNum],
    ["alert_rules", "alert rules", T.fmtNum], ["alert_instances", "alert instances", T.fmtNum],
    ["audit_records", "audit records", T.fmtNum], ["identity_anomalies", "identity anomalies", T.fmtNum],
  ];

  function fail(id, e) { T.$(id).textContent = e.message; }

  async function loadStats() {
    try {
      const s = await T.api("/api/v1/admin/stats");
      const dl = T.clear(T.$("stats"));
      for (const [k, label, f] of STATS) {
        if (!(k in s)) continue;
        dl.append(T.el("div", {}, T.el("dt", {}, label), T.el("dd", { "data-stat": k }, f(s[k]))));
      }
      let ingested = 0;
      for (const d of s.front_doors || []) ingested += d.points;
      dl.append(T.el("div", {}, T.el("dt", {}, "values ingested (since start)"), T.el("dd", {}, T.fmtNum(ingested))));
    } catch (e) {
      T.clear(T.$("stats")).append(T.el("div", { class: "error" }, e.message));
    }
  }

  function showSecret(info, token) {
    T.$("secret-id").textContent = info.id + " (" + info.scopes.join(", ") + ")";
    T.$("secret-value").textContent = token;
    T.$("secret-box").hidden = false;
  }

  async function loadTokens() {
    T.$("tokens-error").textContent = "";
    try {
      const r = await T.api("/api/v1/admin/tokens");
      const table = T.clear(T.$("tokens"));
      table.append(T.el("thead", {}, T.el("tr", {}, ["id", "description", "scopes", "created",
        "expires", "last used", "from", ""].map((h) => T.el("th", {}, h)))));
      const tb = T.el("tbody");
      const now = Date.now() * 1e6;
      for (const t of r.tokens) {
        const expired = t.expires_ns && t.expires_ns < now;
        const state = t.revoked ? "revoked" : expired ? "expired" : "";
        tb.append(T.el("tr", { class: t.revoked ? "revoked" : "", "data-token": t.id },
          T.el("td", { class: "mono" }, t.id), T.el("td", {}, t.description),
          T.el("td", {}, t.scopes.map((s) => T.el("span", { class: "pill" }, s))),
          T.el("td", { class: "mono" }, T.fmtNs(t.created_ns)),
          T.el("td", { class: "mono" }, t.expires_ns ? T.fmtNs(t.expires_ns) : "never"),
          T.el("td", { class: "mono" }, t.last_used_ns ? T.fmtNs(t.last_used_ns) : "never"),
          T.el("td", { class: "mono" }, t.last_peer),
          T.el("td", {}, state ? T.el("span", { class: "pill" }, state) : [
            T.el("button", { type: "button", class: "link", onclick: () => rotate(t.id) }, "Rotate"),
            T.el("button", { type: "button", class: "link danger", onclick: () => revoke(t.id) }, "Revoke")])));
      }
      table.append(tb);
    } catch (e) { fail("tokens-error", e); }
  }

  async function create(e) {
    e.preventDefault();
    T.$("tokens-error").textContent = "";
    const scopes = [...T.$("token-form").querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value)
      .concat(T.$("tk-more").value.split(",").map((s) => s.trim()).filter(Boolean));
    const body = { scopes, description: T.$("tk-desc").value.trim() };
    if (T.$("tk-expiry").value) body.expires_in = T.$("tk-expiry").value;
    try {
      const r = await T.api("/api/v1/admin/tokens", { json: body });
      showSecret(r.info, r.token);
      T.$("tk-desc").value = T.$("tk-more").value = "";
      loadTokens();
    } catch (err) { fail("tokens-error", err); }
  }

  async function rotate(id) {
    if (!confirm("Rotate " + id + "? The old secret keeps working for 1 hour.")) return;
    try {
      const r = await T.api("/api/v1/admin/tokens/" + encodeURIComponent(id) + "/rotate", { json: { overlap: "1h" } });
      showSecret(r.info, r.token);
      loadTokens();
    } catch (err) { fail("tokens-error", err); }
  }

  async function revoke(id) {
    if (!confirm("Revoke " + id + "? It stops working at once.")) return;
    try {
      await T.api("/api/v1/admin/tokens/" + encodeURIComponent(id), { method: "DELETE" });
      loadTokens();
    } catch (err) { fail("tokens-error", err); }
  }

  async function loadRules() {
    T.$("rules-error").textContent = "";
    try {
      const [rules, alerts] = await Promise.all([T.api("/api/v1/rules"),
        T.api("/api/v1/alerts?state=firing,pending")]);
      const rt = T.clear(T.$("rules"));
      rt.append(T.el("thead", {}, T.el("tr", {}, ["name", "kind", "query", "condition", "for",
        "firing", "pending", "state"].map((h) => T.el("th", {}, h)))));
      const tb = T.el("tbody");
      for (const r of rules.rules) {
        tb.append(T.el("tr", {}, T.el("td", {}, r.name), T.el("td", {}, r.kind),
          T.el("td", { class: "mono" }, r.query), T.el("td", { class: "mono" }, r.canonical_condition),
          T.el("td", {}, r.for), T.el("td", { class: "num" }, r.status.firing),
          T.el("td", { class: "num" }, r.status.pending),
          T.el("td", {}, T.el("span", { class: "pill" + (r.status.firing ? " firing" : "") },
            r.paused ? "paused" : r.status.firing ? "firing" : "ok"))));
      }
      if (!rules.rules.length) tb.append(T.el("tr", {}, T.el("td", { colspan: "8", class: "muted" },
        "No rules yet (telemdb admin rule create, or POST /api/v1/rules).")));
      rt.append(tb);
      const at = T.clear(T.$("alerts"));
      at.append(T.el("thead", {}, T.el("tr", {}, ["rule", "group", "state", "since", "value"].map((h) => T.el("th", {}, h)))));
      const ab = T.el("tbody");
      for (const a of alerts.alerts) {
        ab.append(T.el("tr", {}, T.el("td", {}, a.rule),
          T.el("td", { class: "mono" }, Object.entries(a.group).map(([k, v]) => k + "=" + v).join(",")),
          T.el("td", {}, T.el("span", { class: "pill " + a.state }, a.state)),
          T.el("td", { class: "mono" }, a.since || ""), T.el("td", { class: "num" }, T.fmtNum(a.value))));
      }
      if (!alerts.alerts.length) ab.append(T.el("tr", {}, T.el("td", { colspan: "5", class: "muted" }, "Nothing firing or pending.")));
      at.append(ab);
    } catch (e) { fail("rules-error", e); }
  }

  async function verify() {
    const out = T.$("audit-result");
    out.textContent = "verifying…";
    try {
      const r = await T.api("/api/v1/admin/audit/verify", { method: "POST" });
      T.clear(out).append(r.ok
        ? T.el("span", { class: "ok-text" }, "✓ chain intact: " + T.fmtNum(r.records) + " records")
        : T.el("span", { class: "error" }, "✗ " + r.problem),
        r.gaps.length ? T.el("div", { class: "muted" }, r.gaps.length + " gap(s) found at start, " + r.unacknowledged_gaps + " not acknowledged") : "");
    } catch (e) { T.clear(out).append(T.el("span", { class: "error" }, e.message)); }
  }

  T.showAdmin = function () { loadStats(); loadTokens(); loadRules(); };
  T.initAdmin = function () {
    T.$("stats-refresh").addEventListener("click", loadStats);
    T.$("tokens-refresh").addEventListener("click", loadTokens);
    T.$("rules-refresh").addEventListener("click", loadRules);
    T.$("audit-verify").addEventListener("click", verify);
    T.$("token-form").addEventListener("submit", create);
    T.$("secret-hide").addEventListener("click", () => { T.$("secret-value").textContent = ""; T.$("secret-box").hidden = true; });
    T.$("secret-copy").addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(T.$("secret-value").textContent));
  };
})(window.TDB);
