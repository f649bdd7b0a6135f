"""Writes bench/compare/results/<date>-<scale>.md and the ratio chart (.png, gnuplot)."""
import os
import subprocess


def si(x):
    for unit, d in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= d:
            return "%.2f%s" % (x / d, unit)
    return "%.0f" % x


def mib(n):
    if n < (10 << 20):
        return "%.2f MiB" % (n / (1 << 20))
    return "%.0f MiB" % (n / (1 << 20)) if n < (10 << 30) else "%.2f GiB" % (n / (1 << 30))


def ms(x):
    return "%.2f" % x if x < 100 else "%.0f" % x


def short(cmd, args):
    """A command line with the run directory as $WORK and the source root left out."""
    root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    return cmd.replace(args["work"], "$WORK").replace(root + "/", "")


def rows_for(w):
    """(short label for the chart, label, tdb number, tdb text, vm number, vm text, better)"""
    out = []
    tl, vl = w["tdb_load"], w["vm_load"]
    values = w["file"]["values"]
    t_rate = values / tl["wall_s"]
    v_rate = values / vl["wall_s"]
    out.append(("load v/s", "load: values/s, file on disk → last ack",
                t_rate, "%s/s (%.1f s)" % (si(t_rate), tl["wall_s"]),
                v_rate, "%s/s (%.1f s)" % (si(v_rate), vl["wall_s"]), "higher"))
    if "tdb_http_load" in w:
        hl = w["tdb_http_load"]
        h_rate = values / hl["wall_s"]
        out.append(("HTTP load v/s", "load over HTTP /write, the same sender (4 connections, "
                    "10,000-line POSTs): values/s, file → last 204 (telemdb: SYNC, fsynced)",
                    h_rate, "%s/s (%.1f s)" % (si(h_rate), hl["wall_s"]),
                    v_rate, "%s/s (%.1f s)" % (si(v_rate), vl["wall_s"]), "higher"))
    v_rate2 = values / (vl["wall_s"] + vl["flush_s"])
    out.append(("load+flush v/s", "load: values/s to flushed (VM: + /internal/force_flush; "
                "telemdb: SYNC acks are already fsynced)",
                t_rate, "%s/s" % si(t_rate), v_rate2,
                "%s/s (+%.2f s)" % (si(v_rate2), vl["flush_s"]), "higher"))
    out.append(("load RSS", "server peak RSS during the load (VmHWM; max of 100 ms VmRSS samples)",
                tl["server_hwm"], "%s (%s)" % (mib(tl["server_hwm"]),
                                               mib(tl["server_rss_sampled_max"])),
                vl["server_hwm"], "%s (%s)" % (mib(vl["server_hwm"]),
                                               mib(vl["server_rss_sampled_max"])), "lower"))
    tc = tl["server_cpu_s"] + tl["client_cpu_s"]
    vc = vl["server_cpu_s"] + vl["client_cpu_s"]
    out.append(("load CPU", "CPU seconds during the load, server + client",
                tc, "%.1f + %.1f = %.1f" % (tl["server_cpu_s"], tl["client_cpu_s"], tc),
                vc, "%.1f + %.1f = %.1f" % (vl["server_cpu_s"], vl["client_cpu_s"], vc), "lower"))
    ts, vs = w["tdb_settle"], w["vm_settle"]
    out.append(("settle s", "after the load: s until the data directory stops changing "
                "(telemdb: Compact; VM: force_merge + background merges; 5 s polls)",
                max(ts["settle_s"], 0.1), "%.1f (Compact call %.1f)" % (ts["settle_s"], ts["merge_s"]),
                max(vs["settle_s"], 0.1), "%.1f (force_merge active %.1f)" % (vs["settle_s"], vs["merge_s"]),
                "lower"))
    out.append(("peak RSS", "server peak RSS up to the end of compaction (VmHWM)",
                ts["hwm"], mib(ts["hwm"]), vs["hwm"], mib(vs["hwm"]), "lower"))
    out.append(("disk", "disk after compaction, settled (du -sb of the data directory)",
                ts["bytes"], mib(ts["bytes"]), vs["bytes"], mib(vs["bytes"]), "lower"))
    out.append(("bytes/value", "bytes per value (disk / values in the file)",
                ts["bytes"] / values, "%.3f" % (ts["bytes"] / values),
                vs["bytes"] / values, "%.3f" % (vs["bytes"] / values), "lower"))
    c = w["counts"]
    out.append((None, "values visible to queries (file: %d)" % values,
                c["tdb_count_query"], "%d" % c["tdb_count_query"], c["vm_count_query"],
                "%d" % c["vm_count_query"], None))
    for q in w["queries"]:
        out.append(("q(%s)" % q["id"], "query (%s) p50 ms: %s" % (q["id"], q["title"]),
                    q["tdb"]["p50_ms"], ms(q["tdb"]["p50_ms"]),
                    q["vm_cached"]["p50_ms"], ms(q["vm_cached"]["p50_ms"]), "lower"))
        if "tdb_http" in q:
            out.append(("q(%s) http" % q["id"], "query (%s) over HTTP on both sides: telemdb "
                        "/query vs VM's API, p50 ms" % q["id"],
                        q["tdb_http"]["p50_ms"], ms(q["tdb_http"]["p50_ms"]),
                        q["vm_cached"]["p50_ms"], ms(q["vm_cached"]["p50_ms"]), "lower"))
    return out


def table(w):
    lines = ["| metric | telemdb | VictoriaMetrics | ratio telemdb/VM | better |",
             "|---|---|---|---|---|"]
    for _, label, tn, tt, vn, vt, better in rows_for(w):
        ratio = tn / vn if vn else float("inf")
        if better == "higher":
            who = "telemdb" if ratio > 1 else "VM"
            note = "%s (higher is better)" % who
        elif better == "lower":
            who = "telemdb" if ratio < 1 else "VM"
            note = "%s (lower is better)" % who
        else:
            note = "equal is right"
        if better and 0.95 <= ratio <= 1.05:
            note = "≈ (within 5 %)"
        lines.append("| %s | %s | %s | %.3g | %s |" % (label, tt, vt, ratio, note))
    return "\n".join(lines)


def curve_table(curve):
    lines = ["| meters (VM series) | values | telemdb gRPC values/s | telemdb HTTP values/s | "
             "VM values/s | ratio gRPC / HTTP | telemdb peak RSS | VM peak RSS | ratio | "
             "telemdb bytes/value | VM bytes/value | ratio |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for w in curve:
        values = w["file"]["values"]
        t = values / w["tdb_load"]["wall_s"]
        h = values / w["tdb_http_load"]["wall_s"] if "tdb_http_load" in w else float("nan")
        v = values / w["vm_load"]["wall_s"]
        # Peak RSS of the whole run on each side: load, compaction and (telemdb) the HTTP load.
        trss = max(w["tdb_settle"]["hwm"], w.get("tdb_final_hwm", 0),
                   w.get("tdb_http_load", {}).get("server_hwm", 0))
        vrss = max(w["vm_settle"]["hwm"], w.get("vm_final_hwm", 0))
        tb = w["tdb_settle"]["bytes"] / values
        vb = w["vm_settle"]["bytes"] / values
        lines.append("| %d (%d) | %s | %s/s | %s/s | %s/s | %.2f / %.2f | %s | %s | %.2f | %.3f | "
                     "%.3f | %.2f |" % (w["scale"], 4 * w["scale"], si(values), si(t), si(h),
                                        si(v), t / v, h / v, mib(trss), mib(vrss), trss / vrss,
                                        tb, vb, tb / vb))
    return "\n".join(lines)


def chart(results, png):
    data = png[:-4] + ".dat"
    n = 0
    with open(data, "w") as f:
        for w in results["workloads"]:
            for short, _, tn, _, vn, _, better in rows_for(w):
                if not short or not vn or not tn:
                    continue
                ratio = tn / vn
                good = (ratio > 1) if better == "higher" else (ratio < 1)
                f.write('%d "%s %s" %g %d\n' % (n, w["name"], short, ratio,
                                                 0x2e8b57 if good else 0xcd3333))
                n += 1
    script = """
set terminal png size 1400,700 font ",10"
set output '%s'
set title "telemdb / VictoriaMetrics (log scale; green: telemdb better, red: VictoriaMetrics better;\\nload v/s: higher is better, everything else: lower is better)"
set style fill solid 0.85 border -1
set boxwidth 0.7
set logscale y 10
set grid ytics
set ylabel "ratio telemdb / VictoriaMetrics"
set xtics rotate by -45 left
set key off
set xrange [-0.7:%f]
set arrow from -0.7,1 to %f,1 nohead lw 2 lc rgb "black"
plot '%s' using 1:3:4:xtic(2) with boxes lc rgb variable, \\
     '%s' using 1:3:($3 >= 10 ? sprintf("%%.0f", $3) : sprintf("%%.2g", $3)) with labels offset 0,0.8 font ",8"
""" % (png, n - 0.3, n - 0.3, data, data)
    r = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True)
    os.remove(data)
    if r.returncode != 0:
        raise RuntimeError("gnuplot failed: " + r.stderr)


def write(results, results_dir):
    os.makedirs(results_dir, exist_ok=True)
    a = results["args"]
    date = results["started"].strftime("%Y-%m-%d")
    name = "%s-%d" % (date, a["scale"])
    if a["hours"] != 24:
        name += "-%dh" % a["hours"]
    if a["skip_fleet"]:
        name = date if a.get("skip_meters") else "%s-meters%d" % (date, a["meters_scale"])
    if a.get("cardinality"):
        name += "-curve"
    if a.get("long_series"):
        name += "-sensors%d" % a["long_series"]
    md = os.path.join(results_dir, name + ".md")
    png = os.path.join(results_dir, name + ".png")
    m = results["machine"]
    L = []
    titles = []
    for w in results["workloads"]:
        titles.append("%s %d × %d h" % (w["name"], w["scale"], w["hours"]))
    L.append("# telemdb vs VictoriaMetrics: %s (%s)" % (", ".join(titles), date))
    L.append("")
    L.append("Produced by `%s` (bench/compare/run.sh; README.md there says how every figure is "
             "measured). Chart: [%s](%s)." % (a["command"] or "./bench/compare/run.sh",
                                              os.path.basename(png), os.path.basename(png)))
    L.append("")
    L.append("- machine: %d CPUs (%s), %.1f GiB memory, Linux %s, Debian %s, Python %s" % (
        m["nproc"], m["cpu"], m["mem_total"] / (1 << 30), m["kernel"], m["debian"], m["python"]))
    L.append("- load average (1/5/15 min; the machine is shared): %s at the start, %s at the end"
             % (m["load_avg_start"], m.get("load_avg_end", "?")))
    L.append("- telemdb: %s, git %s%s, binaries from `%s/`; telemdbd with default flags (SYNC "
             "acks, 1 GiB memory budget)" % (
                 results["workloads"][0].get("tdb_version", "?") if results["workloads"] else "?",
                 results["git_rev"], " (work tree with uncommitted changes)"
                 if results["git_dirty"] else "", a["build_dir"]))
    L.append("- VictoriaMetrics: %s (Debian package `victoria-metrics`), single node, flags "
             "`-retentionPeriod=100y -search.latencyOffset=0`, everything else default "
             "(response cache on, no dedup, `-memory.allowedPercent=60`, "
             "`-influxTrimTimestamp=1ms`)" % results["vm_version"])
    L.append("- started %s, finished %s (UTC)" % (
        results["started"].strftime("%Y-%m-%d %H:%M:%S"),
        results.get("finished", results["started"]).strftime("%Y-%m-%d %H:%M:%S")))
    L.append("")
    tables = []
    curve = [w for w in results["workloads"] if w.get("curve")]
    if curve:
        t = curve_table(curve)
        tables.append("cardinality curve\n" + t)
        L.append("## Cardinality curve")
        L.append("")
        L.append("The meters workload at each size, the same readings per meter (%d h at 15 min, "
                 "4 fields: an int counter, a 2-decimal and a 1-decimal float, a bool). A meter "
                 "is one telemdb series group of 4 fields and 4 VictoriaMetrics time series. "
                 "Ingest: file on disk → last ack (telemdb: telemdb-bench over gRPC, SYNC; and "
                 "the same HTTP sender as VM, SYNC) and VM (HTTP, no fsync). Peak RSS is the "
                 "server's VmHWM up to the end of compaction. Each size's full table is below."
                 % curve[0]["hours"])
        L.append("")
        L.append(t)
        L.append("")
    for w in results["workloads"]:
        f = w["file"]
        c = w["counts"]
        L.append("## Workload `%s`: %d %s × %d h" % (w["name"], w["scale"],
                                                      w.get("devices", "meters"), w["hours"]))
        L.append("")
        if w.get("tdb_flags") or w.get("vm_flags"):
            L.append("Extra flags for this workload: telemdbd `%s`, VictoriaMetrics `%s`." % (
                " ".join(w.get("tdb_flags", [])) or "none", " ".join(w.get("vm_flags", []))
                or "none"))
            L.append("")
        L.append("`%s`: %d lines, %d field values, %s; generated in %.1f s. Load average "
                 "before the VictoriaMetrics load %s, before the telemdb load %s." % (
                     " ".join(["telemdb-fleetgen"] + w["gen_cmd"][1:-3]), f["lines"], f["values"],
                     mib(f["bytes"]), w["gen_seconds"], w["load_avg_before_vm_load"],
                     w["load_avg_before_tdb_load"]))
        L.append("")
        t = table(w)
        tables.append("%s (%d × %d h)\n%s" % (w["name"], w["scale"], w["hours"], t))
        L.append(t)
        L.append("")
        vl, tl = w["vm_load"], w["tdb_load"]
        sender = vl["sender"]
        L.append("Loading:")
        L.append("")
        L.append("- VictoriaMetrics: `vm_send.py` (Python http.client, %s threads, persistent "
                 "HTTP/1.1 connections, chunks of ~10,000 lines: %s chunks of %.0f lines on "
                 "average) POSTing to `/write?precision=ns`. The sender used %.1f CPU s of the "
                 "%.1f s load (%.0f %% of one core), %s; VM's own CPU was %.1f s." % (
                     sender.get("senders", "4"), sender.get("chunks", "?"),
                     int(sender.get("lines", 0)) / max(1, int(sender.get("chunks", 1))),
                     vl["client_cpu_s"], vl["wall_s"], 100 * vl["client_cpu_s"] / vl["wall_s"],
                     "so it was not the bottleneck" if vl["client_cpu_s"] < 0.25 * vl["wall_s"]
                     else "WHICH MAY MAKE IT A BOTTLENECK", vl["server_cpu_s"]))
        b = tl["bench"]
        L.append("- telemdb: `telemdb-bench ingest FILE --streams 4 --batch 10000` (parsing "
                 "inside the clock, one parser thread, SYNC acks). Its own clock (file already "
                 "read into memory): %s s, %s values/s, ack p50 %s ms / p99 %s ms; the wall "
                 "clock above includes reading the file. Client CPU %.1f s, client peak RSS %s "
                 "(it reads the whole file into memory)." % (
                     b.get("seconds"), si(float(b.get("values_per_s", 0))), b.get("ack_p50_ms"),
                     b.get("ack_p99_ms"), tl["client_cpu_s"], mib(tl["client_maxrss"])))
        vs = w["vm_settle"]
        L.append("- settling: telemdb's Compact took %.1f s and the directory stopped changing "
                 "%.1f s after the load (%s); VictoriaMetrics' force_merge of partitions %s was "
                 "active %.1f s over %d round(s) (sizes after each: %s; repeated while a round "
                 "still shrank the directory by > 0.5 %%), and the directory stopped changing "
                 "%.1f s after the load (%s). Parts afterwards: %s. CPU while settling: telemdb "
                 "%.1f s, VM %.1f s." % (
                     w["tdb_settle"]["merge_s"], w["tdb_settle"]["settle_s"],
                     "stable" if w["tdb_settle"]["stable"] else "NOT stable",
                     ", ".join("%s (%s s in VM's log)" % (p, "+".join(
                         "%.3f" % x for x in vs["logged"].get(p, [])) or "?")
                               for p in vs["partitions"]), vs["merge_s"], len(vs["rounds"]),
                     ", ".join(mib(x) for x in vs["rounds"]), vs["settle_s"],
                     "stable" if vs["stable"] else "NOT stable",
                     ", ".join("%s %d" % (k[len("vm_parts"):], v)
                               for k, v in sorted(vs["parts"].items())),
                     w["tdb_settle"]["cpu_s"], vs["cpu_s"]))
        st = w["tdb_settle"]["stats"]
        L.append("- telemdb after Compact: %d series, %d stored points in %d chunks, %d head "
                 "points, WAL %s; column families: %s." % (
                     st["series"], st["stored_points"], st["stored_chunks"], st["head_points"],
                     mib(st["wal_bytes"]), ", ".join("%s %s" % (k, mib(v))
                                                     for k, v in sorted(st["cf"].items()))))
        L.append("")
        L.append("Values (exact counts):")
        L.append("")
        dup = ("%d duplicate lines (%d values) of an earlier (series, timestamp)" % (
            f["dup_lines"], f["dup_values"]) if f["dup_checked"] else
            "not checked (file larger than --dup-check-max-bytes)")
        L.append("- the file: %d values (%s); exact duplicates of (series, timestamp): %s." % (
            f["values"], ", ".join("%s %d" % kv for kv in f["per_measurement"].items()), dup))
        L.append("- telemdb: accepted %d, Stats.stored_points %d (head %d), `SELECT count(f) "
                 "FROM m` per field, summed: %d (%s). Duplicates keep the last "
                 "write, so stored = file values − duplicate values." % (
                     c["tdb_accepted"], c["tdb_stored_points"], c["tdb_head_points"],
                     c["tdb_count_query"], ", ".join("%s %d" % kv for kv in
                                                     c["tdb_count_per_measurement"].items())))
        L.append("- VictoriaMetrics: `%s`, summed: %d (%s); `vm_rows` of storage/small+big "
                 "after the merge: %d; `vm_rows_inserted_total{type=\"influx\"}`: %d. Without "
                 "`-dedup.minScrapeInterval` VictoriaMetrics keeps duplicate samples." % (
                     c["vm_count_expr"], c["vm_count_query"],
                     ", ".join("%s %d" % kv for kv in c["vm_count_per_measurement"].items()),
                     c["vm_rows_stored"], c["vm_rows_inserted"]))
        L.append("")
        L.append("Queries (warm, %d untimed runs then %d timed, median). Verbatim:" % (
            3, a["runs"]))
        L.append("")
        L.append("| id | telemdb (docs/query.md) | VictoriaMetrics (MetricsQL) |")
        L.append("|---|---|---|")
        for q in w["queries"]:
            v = q["vm"]
            if v["kind"] == "range":
                vp = "`%s` start=%d end=%d step=%ds" % (v["path"], v["start"], v["end"], v["step"])
            else:
                vp = "`%s` time=%d" % (v["path"], v["time"])
            filt = (" — then keep rows with value %s (client side)" % q["tdb_filter"]
                    if q["tdb_filter"] else "")
            L.append("| %s | `%s`%s | `%s` (%s) |" % (
                q["id"], q["tdb_text"].replace("|", "\\|"), filt,
                v["query"].replace("|", "\\|"), vp))
        L.append("")
        L.append("| id | telemdb p50 ms | rows | points decoded | server ms | VM p50 ms (cache on) "
                 "| VM p50 ms `nocache=1` | VM body bytes | answers compared |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        fl = w["floor"]
        L.append("| floor | %s | | | | %s | %s | | telemdb `SHOW MEASUREMENTS`; VM "
                 "`query=1`: client + transport cost |" % (
                     ms(fl["tdb"]["p50_ms"]), ms(fl["vm"]["p50_ms"]), ""))
        if "tdb_http" in fl:
            L.append("| floor (HTTP) | %s | | | | %s | | | telemdb `/query?q=SHOW MEASUREMENTS` |"
                     % (ms(fl["tdb_http"]["p50_ms"]), ms(fl["vm"]["p50_ms"])))
        for q in w["queries"]:
            t = q["tdb"]
            L.append("| %s | %s | %d | %d | %s | %s | %s | %d | %s |" % (
                q["id"], ms(t["p50_ms"]), t.get("rows", 0), t.get("points_decoded", 0),
                ms(t.get("server_ms", 0)), ms(q["vm_cached"]["p50_ms"]),
                ms(q["vm_nocache"]["p50_ms"]), q["vm_cached"]["body_bytes"], q["agree_text"]))
        if any("tdb_http" in q for q in w["queries"]):
            L.append("")
            L.append("The same queries over HTTP: telemdb `GET /query?q=...&epoch=ms` (InfluxDB "
                     "JSON) with the same client and timer as VictoriaMetrics:")
            L.append("")
            L.append("| id | telemdb HTTP p50 ms | telemdb body bytes | VM p50 ms | ratio |")
            L.append("|---|---|---|---|---|")
            for q in w["queries"]:
                if "tdb_http" not in q:
                    continue
                th, v = q["tdb_http"], q["vm_cached"]
                L.append("| %s | %s | %d | %s | %.3g |" % (q["id"], ms(th["p50_ms"]),
                                                          th["body_bytes"], ms(v["p50_ms"]),
                                                          th["p50_ms"] / v["p50_ms"]))
        if "tdb_metrics" in w:
            L.append("")
            L.append("telemdb `GET /metrics` with this workload loaded: p50 %s ms (min %s, max %s; "
                     "%d bytes)." % (ms(w["tdb_metrics"]["p50_ms"]), ms(w["tdb_metrics"]["min_ms"]),
                                      ms(w["tdb_metrics"]["max_ms"]), w["tdb_metrics"]["body_bytes"]))
        L.append("")
        L.append("Commands of this workload:")
        L.append("")
        L.append("```")
        for c in (w["gen_cmd"], w["vm_cmd"], w["vm_load"]["cmd"], w["tdb_cmd"],
                  w["tdb_load"]["cmd"]):
            L.append(short(" ".join(c), a))
        L.append("telemdb-bench query TEXT --addr ADDR --token-file TOKEN --runs %d --warmup 3"
                 % a["runs"])
        L.append("```")
        L.append("")
    L.append("## How to read this")
    L.append("")
    L.append("Ratios are telemdb / VictoriaMetrics of the numbers in the same row; the last "
             "column says who wins and in which direction the metric improves. Query times are "
             "client wall clock: telemdb-bench query (gRPC, decodes the frames) against a Python "
             "http.client timer over one keep-alive connection (request sent → whole JSON body "
             "read, not parsed); the `floor` row shows each client's cost for a trivial query. "
             "VictoriaMetrics' response cache is on (its default); the `nocache=1` column "
             "shows the same queries without it. Client and servers share the 2 CPUs.")
    L.append("")
    with open(md, "w") as f:
        f.write("\n".join(L))
    chart(results, png)
    return md, png, "\n\n".join(tables)
