"""The query pairs of bench/compare: the same question in telemdb's language (docs/query.md)
and in PromQL/MetricsQL for VictoriaMetrics 1.79, with what it takes to compare the answers.

Conventions (see README.md, "Making the answers equal"):
- telemdb's range is [S, E) with S the workload start and E = S + hours.
- VictoriaMetrics stores measurement+field as metric `measurement_field`, tags as labels, and
  timestamps in milliseconds (-influxTrimTimestamp=1ms; the workloads use whole seconds, so
  nothing is lost).
- A rollup `f(m[d])` evaluated at t covers (t - d, t]. telemdb's bucket k covers
  [k*d, (k+1)*d) and is labelled by its start. `offset 1ms` shifts VM's window to
  [t - d, t - 1ms], which is exactly [t - d, t) for millisecond timestamps; so VM's point at t
  is telemdb's bucket starting at t - d. Range queries therefore run from S + step to E
  (both multiples of the step) and VM times are shifted back by one step before comparing.
- telemdb's mean is sum/count over every point of the group, so per-group means in VM are
  sum(sum_over_time) / sum(count_over_time), not avg(avg_over_time).
- telemdb's language has no HAVING: "latest fuel below 0.1" is `last()` per truck, filtered
  by the client (the filter is not inside telemdb's timer; it returns all trucks).
"""
import datetime


def rfc3339(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def _range(s, e):
    return "time >= '%s' AND time < '%s'" % (rfc3339(s), rfc3339(e))


def fleet_queries(start, hours, scale):
    s, e = start, start + hours * 3600
    r = _range(s, e)
    truck = "truck_%d" % min(7, scale - 1)
    lookback = "%dh" % (hours + 1)  # covers every point of the workload from E
    day = "%dh" % hours
    last10 = _range(e - 600, e)
    return [
        dict(id="a", title="one truck, velocity, 1-minute means over the range",
             tdb="SELECT mean(velocity) FROM readings WHERE name = '%s' AND %s GROUP BY time(1m)"
                 % (truck, r),
             vm=dict(kind="range", start=s + 60, end=e, step=60,
                     query='avg_over_time(readings_velocity{name="%s"}[1m] offset 1ms)' % truck),
             group=[], time=True, shift=60),
        dict(id="b", title="one truck, velocity, 1-hour maxima over the range",
             tdb="SELECT max(velocity) FROM readings WHERE name = '%s' AND %s GROUP BY time(1h)"
                 % (truck, r),
             vm=dict(kind="range", start=s + 3600, end=e, step=3600,
                     query='max_over_time(readings_velocity{name="%s"}[1h] offset 1ms)' % truck),
             group=[], time=True, shift=3600),
        dict(id="c", title="all trucks, mean velocity per hour per fleet",
             tdb="SELECT mean(velocity) FROM readings WHERE %s GROUP BY time(1h), fleet" % r,
             vm=dict(kind="range", start=s + 3600, end=e, step=3600,
                     query="sum by (fleet) (sum_over_time(readings_velocity[1h] offset 1ms)) / "
                           "sum by (fleet) (count_over_time(readings_velocity[1h] offset 1ms))"),
             group=["fleet"], time=True, shift=3600),
        dict(id="d", title="latest latitude of every truck",
             tdb="SELECT last(latitude) FROM readings GROUP BY name",
             vm=dict(kind="instant", time=e, query="last_over_time(readings_latitude[%s])" % lookback),
             group=["name"], time=False),
        dict(id="e", title="low fuel: trucks whose latest fuel_state < 0.1 (TSBS-iot)",
             tdb="SELECT last(fuel_state) FROM diagnostics GROUP BY name",
             tdb_filter="< 0.1",
             vm=dict(kind="instant", time=e,
                     query="last_over_time(diagnostics_fuel_state[%s]) < 0.1" % lookback),
             group=["name"], time=False),
        dict(id="f", title="stationary: trucks whose mean velocity over the last 10 min < 1 (TSBS-iot)",
             tdb="SELECT mean(velocity) FROM readings WHERE %s GROUP BY name" % last10,
             tdb_filter="< 1",
             vm=dict(kind="instant", time=e,
                     query="avg_over_time(readings_velocity[10m] offset 1ms) < 1"),
             group=["name"], time=False),
        dict(id="g", title="avg-load: mean current_load per fleet and model over the range (TSBS-iot)",
             tdb="SELECT mean(current_load) FROM diagnostics WHERE %s GROUP BY fleet, model" % r,
             vm=dict(kind="instant", time=e,
                     query="sum by (fleet, model) (sum_over_time(diagnostics_current_load[%s] offset 1ms)) / "
                           "sum by (fleet, model) (count_over_time(diagnostics_current_load[%s] offset 1ms))"
                           % (day, day)),
             group=["fleet", "model"], time=False),
    ]


def meters_queries(start, hours, scale):
    s, e = start, start + hours * 3600
    r = _range(s, e)
    meter = "m%07d" % min(42, scale - 1)
    lookback = "%dh" % (hours + 1)
    day = "%dh" % hours
    return [
        dict(id="m1", title="one meter, raw power_kw over the range",
             tdb="SELECT power_kw FROM meter WHERE meter_id = '%s' AND %s" % (meter, r),
             vm=dict(kind="instant", time=e,
                     query='meter_power_kw{meter_id="%s"}[%s] offset 1ms' % (meter, day)),
             group=[], time=True, shift=0),
        dict(id="m2", title="all meters, mean power_kw per hour per region",
             tdb="SELECT mean(power_kw) FROM meter WHERE %s GROUP BY time(1h), region" % r,
             vm=dict(kind="range", start=s + 3600, end=e, step=3600,
                     query="sum by (region) (sum_over_time(meter_power_kw[1h] offset 1ms)) / "
                           "sum by (region) (count_over_time(meter_power_kw[1h] offset 1ms))"),
             group=["region"], time=True, shift=3600),
        dict(id="m3", title="latest energy_wh of every meter (a %d-row result)" % scale,
             tdb="SELECT last(energy_wh) FROM meter GROUP BY meter_id",
             vm=dict(kind="instant", time=e, query="last_over_time(meter_energy_wh[%s])" % lookback),
             group=["meter_id"], time=False),
    ]


def sensors_queries(start, hours, scale):
    """The long-range workload: hourly means over the whole range (30 days by default)."""
    s, e = start, start + hours * 3600
    r = _range(s, e)
    sensor = "s%06d" % min(42, scale - 1)
    return [
        dict(id="l1", title="one sensor, hourly mean temp over the whole range",
             tdb="SELECT mean(temp) FROM sensor WHERE sensor_id = '%s' AND %s GROUP BY time(1h)"
                 % (sensor, r),
             vm=dict(kind="range", start=s + 3600, end=e, step=3600,
                     query='avg_over_time(sensor_temp{sensor_id="%s"}[1h] offset 1ms)' % sensor),
             group=[], time=True, shift=3600),
        dict(id="l2", title="all %d sensors, hourly mean temp over the whole range" % scale,
             tdb="SELECT mean(temp) FROM sensor WHERE %s GROUP BY time(1h)" % r,
             vm=dict(kind="range", start=s + 3600, end=e, step=3600,
                     query="sum(sum_over_time(sensor_temp[1h] offset 1ms)) / "
                           "sum(count_over_time(sensor_temp[1h] offset 1ms))"),
             group=[], time=True, shift=3600),
        dict(id="l3", title="hourly mean temp per site (20 sites) over the whole range",
             tdb="SELECT mean(temp) FROM sensor WHERE %s GROUP BY time(1h), site" % r,
             vm=dict(kind="range", start=s + 3600, end=e, step=3600,
                     query="sum by (site) (sum_over_time(sensor_temp[1h] offset 1ms)) / "
                           "sum by (site) (count_over_time(sensor_temp[1h] offset 1ms))"),
             group=["site"], time=True, shift=3600),
    ]
