"""The web console in a real browser (docs/console.md): Debian's headless Chromium driven by
python3-selenium through /usr/bin/chromedriver, against a real telemdbd loaded with a small
fleet whose data ends now. Signs in, runs the fleet query and checks the chart's lines, an
error at its column, a wrong token, a read-only token, the CSV download against the API;
saves screenshots of the query, explore and admin views at 1366x768 and 390x844, light and
dark, under <build>/tests/console_screenshots/. Loopback only. ctest label: long."""
import csv
import datetime
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import telemdb_server  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

FLEET_QUERY = "SELECT mean(velocity) FROM readings WHERE time > now() - 1d GROUP BY time(10m), fleet"
SHOTS = os.path.join(telemdb_server.BINARY, "tests", "console_screenshots")
SIZES = {"desktop": (1366, 768, False), "phone": (390, 844, True)}


def api(server, token, method, path, body=None, params=None, headers=None):
    h = {"Authorization": "Bearer " + token}
    h.update(headers or {})
    status, hdrs, data = server.request(method, path, body=body, headers=h, params=params)
    return status, data


def query(server, token, q):
    status, data = api(server, token, "POST", "/query",
                       body="q=" + __import__("urllib.parse").parse.quote(q) + "&epoch=ms",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    return status, json.loads(data)


class ConsoleBrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="telemdb_console_")
        cls.server = telemdb_server.Server(os.path.join(cls.tmp, "data"))
        # A small fleet, the last 24 hours until now, a reading every 10 s.
        now = int(time.time()) // 10 * 10
        start = datetime.datetime.fromtimestamp(now - 24 * 3600, datetime.timezone.utc)
        lp = os.path.join(cls.tmp, "fleet.lp")
        subprocess.run([os.path.join(telemdb_server.BINARY, "bench", "fleet", "telemdb-fleetgen"),
                        "--scale", "12", "--hours", "24", "--start",
                        start.strftime("%Y-%m-%dT%H:%M:%SZ"), "-o", lp], check=True, timeout=120)
        with open(lp, "rb") as f:
            lines = f.read().splitlines(keepends=True)
        for i in range(0, len(lines), 40000):
            status, data = api(cls.server, cls.server.token, "POST", "/write",
                               body=b"".join(lines[i:i + 40000]), params={"precision": "ns"})
            assert status == 204, data
        status, data = api(cls.server, cls.server.token, "POST", "/api/v1/admin/tokens",
                           body=json.dumps({"scopes": ["read"], "description": "dashboards"}))
        assert status == 201, data
        cls.read_token = json.loads(data)["token"]
        cls.admin_id = json.loads(api(cls.server, cls.server.token, "GET",
                                      "/api/v1/whoami")[1])["name"]
        # A rule, so that the admin view shows one.
        api(cls.server, cls.server.token, "POST", "/api/v1/rules", body=json.dumps({
            "name": "fast_trucks", "query": "FROM readings GROUP BY name",
            "condition": "mean(velocity) over 5m > 95", "for": "1m"}))
        cls.downloads = os.path.join(cls.tmp, "downloads")
        os.makedirs(cls.downloads)
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=1366,768", "--user-data-dir=" + os.path.join(cls.tmp, "profile"),
                  "--no-first-run", "--disable-extensions", "--disable-background-networking"):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        cls.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        cls.driver.set_script_timeout(30)
        cls.driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                                   {"behavior": "allow", "downloadPath": cls.downloads})
        cls.url = "http://127.0.0.1:%d/" % cls.server.http_port
        os.makedirs(SHOTS, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # --- helpers -------------------------------------------------------------------------

    def wait(self, cond, timeout=20, msg=""):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(cond, msg)

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def size(self, name, dark):
        w, h, mobile = SIZES[name]
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": w, "height": h, "deviceScaleFactor": 1, "mobile": mobile})
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
            "features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})

    def fresh_page(self):
        self.driver.get(self.url)
        self.js("sessionStorage.clear(); localStorage.clear();")
        self.driver.get(self.url)
        self.wait(lambda d: d.find_element(By.ID, "token").is_displayed())

    def sign_in(self, token):
        self.fresh_page()
        self.driver.find_element(By.ID, "token").send_keys(token)
        self.driver.find_element(By.ID, "login-button").click()

    def run_query(self, q):
        self.js("TDB.setQuery(arguments[0]);", "")
        box = self.driver.find_element(By.ID, "q")
        box.send_keys(q)
        self.js("window.__runs = (window.__runs || 0) + 1; TDB.run().then(() => window.__done = window.__runs);")
        self.wait(lambda d: d.execute_script("return window.__done === window.__runs"))

    def visible(self, el_id):
        return self.driver.find_element(By.ID, el_id).is_displayed()

    def shoot(self, name):
        path = os.path.join(SHOTS, name + ".png")
        self.driver.save_screenshot(path)
        return path

    def csp_violations(self):
        logs = self.driver.get_log("browser")
        return [e["message"] for e in logs
                if "Content Security Policy" in e["message"] or "Refused to" in e["message"]
                or ("Uncaught" in e["message"])]

    # --- the scenarios -------------------------------------------------------------------

    def test_1_sign_in_and_fleet_chart(self):
        self.size("desktop", False)
        self.sign_in(self.server.token)
        self.wait(lambda d: d.find_element(By.ID, "who-name").text == self.admin_id)
        who = self.driver.find_element(By.ID, "who").text
        for s in ("admin", "read", "write:*"):
            self.assertIn(s, who)
        self.assertTrue(self.visible("tab-admin"))
        # The default view of a newcomer: the last 15 minutes of the fleet, not empty.
        self.wait(lambda d: d.execute_script(
            "return document.querySelectorAll('#charts .chart-box').length") >= 1)
        self.assertIn("now() - 15m", self.js("return TDB.getQuery()"))
        time.sleep(0.3)
        self.shoot("first-desktop-light")
        self.run_query(FLEET_QUERY)
        status, want = query(self.server, self.server.token, FLEET_QUERY)
        fleets = sorted("fleet=" + s["tags"]["fleet"] for s in want["results"][0]["series"])
        self.assertGreaterEqual(len(fleets), 3)
        charts = self.js("""return TDB.results.charts.map(c => ({field: c.field,
            labels: c.graph.getLabels(), rows: c.graph.numRows(), cols: c.graph.numColumns(),
            nonNull: c.graph.getLabels().slice(1).map((_, i) => {
              let n = 0; for (let r = 0; r < c.graph.numRows(); r++)
                if (c.graph.getValue(r, i + 1) !== null) n++; return n; })}));""")
        self.assertEqual(len(charts), 1, charts)
        c = charts[0]
        self.assertEqual(c["field"], "mean")
        self.assertEqual(sorted(c["labels"][1:]), fleets)  # one line per fleet
        self.assertEqual(c["cols"], len(fleets) + 1)
        self.assertGreater(c["rows"], 100)
        for n in c["nonNull"]:
            self.assertGreater(n, 100)  # every line has points drawn
        box = self.driver.find_element(By.CSS_SELECTOR, "#charts .chart-box")
        self.assertEqual(box.get_attribute("data-lines"), str(len(fleets)))
        # The canvas has been drawn on: its pixels are not all one colour.
        drawn = self.js("""const cs = [...document.querySelectorAll('#charts canvas')];
            return cs.some(c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              for (let i = 4; i < d.length; i += 4) if (d[i] !== d[0] || d[i+1] !== d[1] || d[i+2] !== d[2] || d[i+3] !== d[3]) return true;
              return false; });""")
        self.assertTrue(drawn)
        # The legend names every fleet, and the table holds the API's rows.
        legend = self.driver.find_element(By.CSS_SELECTOR, "#charts .legend").text
        for f in fleets:
            self.assertIn(f, legend)
        rows = sum(len(s["values"]) for s in want["results"][0]["series"])
        self.assertEqual(self.driver.find_element(By.ID, "charts").get_attribute("data-rows"), str(rows))
        self.assertEqual(self.csp_violations(), [])

    def test_2_syntax_error_at_its_column(self):
        self.size("desktop", False)
        self.sign_in(self.server.token)
        self.wait(lambda d: d.find_element(By.ID, "who-name").text == self.admin_id)
        bad = "SELECT mean(velocity) FROM readings\nWHERE time > now() - 1d GROUP BY time(10m), fleet LIMT 3"
        status, data = api(self.server, self.server.token, "GET", "/query", params={"q": bad})
        self.assertEqual(status, 400)
        msg = json.loads(data)["error"]
        import re
        line, col = map(int, re.search(r"line (\d+), column (\d+)", msg).groups())
        self.assertEqual(line, 2)
        self.run_query(bad)
        err = self.driver.find_element(By.ID, "query-error").text
        self.assertIn("line 2, column %d" % col, err)
        mark = self.driver.find_element(By.ID, "err-mark")
        self.assertTrue(mark.is_displayed())
        offset = len(bad.split("\n")[0]) + 1 + col - 1
        self.assertEqual(self.js("return TDB.errorOffset()"), offset)
        self.assertEqual(mark.text, bad[offset])
        self.assertEqual(self.js("return TDB.results.charts.length"), 0)
        self.shoot("error-desktop-light")

    def test_3_wrong_token_sees_login_error_and_no_data(self):
        self.size("desktop", False)
        self.sign_in("tdb_nosuchtoken_" + "x" * 40)
        self.wait(lambda d: d.find_element(By.ID, "login-error").text != "")
        self.assertIn("did not accept", self.driver.find_element(By.ID, "login-error").text)
        for v in ("query-view", "explore-view", "live-view", "admin-view", "tabs"):
            self.assertFalse(self.visible(v), v)
        self.assertTrue(self.visible("login-view"))
        self.assertEqual(self.js("return sessionStorage.getItem('telemdb.token')"), None)
        self.assertEqual(self.js("return TDB.results.resp"), None)
        self.assertEqual(self.js("return document.querySelectorAll('canvas, #result-table').length"), 0)
        self.shoot("login-error-desktop-light")

    def test_4_read_only_token_has_no_admin_tab(self):
        self.size("desktop", False)
        self.sign_in(self.read_token)
        self.wait(lambda d: d.find_element(By.ID, "who-name").text != "")
        self.assertIn("read", self.driver.find_element(By.ID, "who").text)
        self.assertFalse(self.visible("tab-admin"))
        self.driver.get(self.url + "#admin")
        self.wait(lambda d: d.find_element(By.ID, "query-view").is_displayed())
        self.assertFalse(self.visible("admin-view"))
        self.run_query("SELECT last(velocity) FROM readings GROUP BY fleet")
        self.assertGreater(int(self.driver.find_element(By.ID, "charts").get_attribute("data-series")), 0)

    def test_4b_token_without_read_sees_an_explanation(self):
        self.size("desktop", False)
        status, data = api(self.server, self.server.token, "POST", "/api/v1/admin/tokens",
                           body=json.dumps({"scopes": ["write:name=truck_*"]}))
        self.sign_in(json.loads(data)["token"])
        self.wait(lambda d: d.find_element(By.ID, "noread-view").is_displayed())
        self.assertIn("write:name=truck_*", self.driver.find_element(By.ID, "noread-scopes").text)
        self.assertFalse(self.visible("query-view"))
        self.assertFalse(self.visible("tab-admin"))

    def test_7_live_tail(self):
        self.size("desktop", False)
        self.sign_in(self.server.token)
        self.wait(lambda d: d.find_element(By.ID, "who-name").text == self.admin_id)
        self.driver.get(self.url + "#live")
        self.driver.find_element(By.ID, "live-m").send_keys("readings")
        self.driver.find_element(By.ID, "live-fields").send_keys("velocity")
        self.driver.find_element(By.ID, "live-where").send_keys("fleet = 'East'")
        self.driver.find_element(By.ID, "live-start").click()
        self.wait(lambda d: "live" in d.find_element(By.ID, "live-status").text.split(":")[-1])
        history = self.js("return TDB.live.points")
        self.assertGreater(history, 0)  # the last 5 minutes first
        # A new point arrives on the page.
        line = "readings,fleet=East,name=truck_live velocity=123.5 %d" % time.time_ns()
        self.assertEqual(api(self.server, self.server.token, "POST", "/write", body=line)[0], 204)
        self.wait(lambda d: "truck_live" in d.find_element(By.ID, "live-table").text)
        self.assertIn("velocity=123.5", self.driver.find_element(By.ID, "live-table").text)
        time.sleep(1.2)  # the chart redraws once a second
        self.assertGreater(self.js("return TDB.live.graph ? TDB.live.graph.numRows() : 0"), 0)
        self.shoot("live-desktop-light")
        self.driver.find_element(By.ID, "live-stop").click()
        self.wait(lambda d: "stopped" in d.find_element(By.ID, "live-status").text)
        self.assertEqual(self.csp_violations(), [])

    def test_8_range_table_history_downsampling_json(self):
        self.size("desktop", False)
        self.sign_in(self.server.token)
        self.wait(lambda d: d.find_element(By.ID, "who-name").text == self.admin_id)
        self.run_query(FLEET_QUERY)
        self.assertEqual(self.driver.find_element(By.ID, "range").get_attribute("value"), "24h")
        # The picker rewrites the statement's time condition and interval, and runs it.
        self.js("window.__before = document.getElementById('query-status').textContent;")
        sel = self.driver.find_element(By.ID, "range")
        sel.find_element(By.CSS_SELECTOR, "option[value='1h']").click()
        self.wait(lambda d: "now() - 1h" in d.execute_script("return TDB.getQuery()"))
        self.assertIn("GROUP BY time(30s)", self.js("return TDB.getQuery()"))
        self.wait(lambda d: d.execute_script("return TDB.results.query.includes('now() - 1h')"))
        # History (per browser) holds what ran.
        hist = self.js("return TDB.history()")
        self.assertIn(FLEET_QUERY, hist)
        # Table view: the API's rows.
        status, want = query(self.server, self.server.token, FLEET_QUERY)
        self.run_query(FLEET_QUERY)
        self.driver.find_element(By.ID, "show-table").click()
        self.assertTrue(self.visible("table-wrap"))
        self.assertFalse(self.visible("charts"))
        rows = self.js("return document.querySelectorAll('#result-table tbody tr').length")
        self.assertEqual(rows, sum(len(s["values"]) for s in want["results"][0]["series"]))
        self.driver.find_element(By.ID, "show-chart").click()
        # JSON download: the answer as received.
        for f in glob.glob(os.path.join(self.downloads, "*")):
            os.unlink(f)
        self.driver.find_element(By.ID, "dl-json").click()
        self.wait(lambda d: glob.glob(os.path.join(self.downloads, "*.json")), 20)
        with open(glob.glob(os.path.join(self.downloads, "*.json"))[0]) as f:
            got = json.load(f)
        self.assertEqual([s["tags"] for s in got["results"][0]["series"]],
                         [s["tags"] for s in want["results"][0]["series"]])
        # A large raw result is drawn downsampled, and the page says so; the table says how
        # many rows it shows.
        self.run_query("SELECT velocity FROM readings WHERE time > now() - 1d")
        notice = self.driver.find_element(By.ID, "notice")
        self.assertTrue(notice.is_displayed())
        self.assertIn("Downsampled for drawing", notice.text)
        self.assertIn("the table shows the first 1,000", notice.text)
        self.assertLessEqual(self.js("return TDB.results.charts[0].graph.numRows()"), 2000)
        self.shoot("downsampled-desktop-light")
        # Auto-refresh runs the statement again.
        t0 = self.js("return TDB.results.resp === null ? 0 : 1")
        self.assertEqual(t0, 1)
        self.js("window.__seen = TDB.results.resp;")
        self.driver.find_element(By.ID, "refresh").find_element(By.CSS_SELECTOR, "option[value='5']").click()
        self.wait(lambda d: d.execute_script("return TDB.results.resp !== window.__seen"), 15)
        self.driver.find_element(By.ID, "refresh").find_element(By.CSS_SELECTOR, "option[value='0']").click()
        self.assertEqual(self.csp_violations(), [])

    def test_5_csv_download_equals_api_rows(self):
        self.size("desktop", False)
        self.sign_in(self.server.token)
        self.wait(lambda d: d.find_element(By.ID, "who-name").text == self.admin_id)
        end = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, second=0)
        begin = end - datetime.timedelta(hours=6)
        q = ("SELECT mean(velocity), max(fuel_consumption) FROM readings WHERE time >= '%s' AND "
             "time <= '%s' GROUP BY time(10m), fleet" % (begin.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                                         end.strftime("%Y-%m-%dT%H:%M:%SZ")))
        self.run_query(q)
        for f in glob.glob(os.path.join(self.downloads, "*")):
            os.unlink(f)
        self.driver.find_element(By.ID, "dl-csv").click()
        self.wait(lambda d: [f for f in glob.glob(os.path.join(self.downloads, "*.csv"))], 20)
        path = glob.glob(os.path.join(self.downloads, "*.csv"))[0]
        with open(path, newline="") as f:
            got = list(csv.reader(f))
        status, want = query(self.server, self.server.token, q)
        self.assertEqual(got[0], ["name", "tags", "time", "mean", "max"])
        expect = []
        for s in want["results"][0]["series"]:
            tags = ",".join("%s=%s" % kv for kv in sorted(s["tags"].items()))
            for t, mean, mx in s["values"]:
                expect.append([s["name"], tags, t, mean, mx])
        self.assertEqual(len(got) - 1, len(expect))
        self.assertGreater(len(expect), 100)
        for g, e in zip(got[1:], expect):
            self.assertEqual(g[:2], e[:2])
            t = datetime.datetime.strptime(g[2], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=datetime.timezone.utc)
            self.assertEqual(int(t.timestamp() * 1000), e[2])
            for gv, ev in zip(g[3:], e[3:]):
                if ev is None:
                    self.assertEqual(gv, "")
                else:
                    self.assertEqual(float(gv), ev)

    def test_6_screenshots(self):
        for dark in (False, True):
            for size in SIZES:
                theme = "dark" if dark else "light"
                self.size(size, dark)
                self.sign_in(self.server.token)
                self.wait(lambda d: d.find_element(By.ID, "who-name").text == self.admin_id)
                self.run_query(FLEET_QUERY)
                self.wait(lambda d: d.execute_script("return TDB.results.charts.length") == 1)
                time.sleep(0.3)
                self.shoot("query-%s-%s" % (size, theme))
                self.driver.get(self.url + "#explore")
                self.wait(lambda d: d.execute_script(
                    "return document.querySelectorAll('#ex-measurements li').length") > 1)
                self.driver.find_element(By.CSS_SELECTOR, "#ex-measurements li[data-name=readings]").click()
                self.wait(lambda d: d.execute_script(
                    "return document.querySelectorAll('#ex-fields li[data-name=velocity]').length") > 0)
                self.wait(lambda d: d.execute_script(
                    "return document.querySelectorAll('#ex-tagkeys li').length") > 0)
                self.driver.find_element(By.CSS_SELECTOR, "#ex-fields li[data-name=velocity]").click()
                self.driver.find_element(By.CSS_SELECTOR, "#ex-tagkeys li[data-name=fleet]").click()
                self.wait(lambda d: d.execute_script(
                    "return document.querySelectorAll('#ex-tagvalues li').length") > 0)
                self.shoot("explore-%s-%s" % (size, theme))
                self.driver.get(self.url + "#admin")
                self.wait(lambda d: d.execute_script(
                    "return document.querySelectorAll('#tokens tbody tr').length") >= 2)
                self.wait(lambda d: d.execute_script(
                    "return document.querySelectorAll('#stats dd').length") > 3)
                self.wait(lambda d: d.execute_script(
                    "return document.querySelectorAll('#rules tbody tr').length") >= 1)
                self.driver.find_element(By.ID, "audit-verify").click()
                self.wait(lambda d: "chain intact" in d.find_element(By.ID, "audit-result").text)
                self.js("window.scrollTo(0, 0)")
                self.shoot("admin-%s-%s" % (size, theme))
        self.assertEqual(len(glob.glob(os.path.join(SHOTS, "*-*-*.png"))) >= 12, True)
        self.assertEqual(self.csp_violations(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
