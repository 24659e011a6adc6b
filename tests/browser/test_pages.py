"""The web view in a real browser (issue 13, docs/webview.md "Browser tests"): auth, the runs
table, live charts of a job started during the test, a 100,000-point chart, compare, files,
images, models, datasets and compute pages; no console errors anywhere; a screenshot of each page.

One `glia server` on a workspace seeded here (MLflow REST API, Glia's REST metric batches,
`glia job submit`, `glia model register`, `glia dataset create`), one Chromium; the tests run in
the order of their names.
"""

import json
import os
import re
import statistics
import subprocess
import time
import unittest

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from harness import GLIA, LIVE_SCRIPT, WS_NAME, Browser, ServerCase, chart_state, glia, log, quote
from pages_seed import NOTES, SERIES_LEN, SMALL, SPIKE_MAX, SPIKE_MIN, seed_pages


class Pages(ServerCase):
    @classmethod
    def seed(cls):
        seed_pages(cls)

    def tearDown(self):
        self.b.console(getattr(self, "allow", ()))

    def runs_url(self, exp, query=""):
        return "/ui/w/%s/experiments/%s%s" % (WS_NAME, quote(exp), query)

    def run_url(self, run, tab=None):
        return "/ui/w/%s/runs/%s%s" % (WS_NAME, quote(run), "?tab=" + tab if tab else "")

    def row_ids(self):
        return self.b.js("return [...document.querySelectorAll("
                         "'#runs-table [data-testid=run-row]')].map((r) => r.dataset.runId)")

    # ---------------------------------------------------------------- auth

    def test_01_auth(self):
        b = self.b
        self.allow = [r"/api/v1/workspaces - Failed to load resource: .* 401",
                      r"/ui/login - Failed to load resource: .* 401"]
        b.driver.delete_all_cookies()
        b.get("/ui/w/%s/experiments" % WS_NAME)
        b.wait_ready("login")
        url = b.driver.current_url
        self.assertIn("/ui/login", url)
        self.assertIn("next=", url, "the login page keeps where the user was going")
        self.assertTrue(b.q("#login-form").is_displayed())
        b.console(self.allow)
        b.screenshot("login")

        # A bad token: an error on the page, still the login page, no cookie.
        b.q("#token").send_keys("glia_0123456789abcdef_" + "A" * 43)
        b.q("#login-submit").click()
        b.wait(lambda: b.q("#login-error").is_displayed() and b.q("#login-error").text.strip(),
               5, "#login-error shown")
        self.assertEqual(b.body_data().get("view"), "login")
        self.assertIsNone(b.driver.get_cookie("glia_session_%d" % self.server.port))
        b.screenshot("login-error")

        # The owner's token: back where the user was going, an HttpOnly session cookie.
        b.q("#token").clear()
        b.q("#token").send_keys(self.server.owner_token)
        b.q("#login-submit").click()
        b.wait_ready("experiments")
        self.assertTrue(b.driver.current_url.endswith("/ui/w/%s/experiments" % WS_NAME),
                        b.driver.current_url)
        cookie = b.driver.get_cookie("glia_session_%d" % self.server.port)
        self.assertIsNotNone(cookie, "no session cookie after login")
        self.assertTrue(cookie["httpOnly"], cookie)
        self.assertNotIn(self.server.owner_token, cookie["value"])  # a session's id, not the token
        self.assertEqual(cookie.get("sameSite"), "Strict", cookie)
        self.assertIsNone(b.js("return document.cookie.match(/glia_session/)"),
                          "the session cookie is readable by scripts")
        names = [e.text for e in b.qa("[data-testid=experiment-row]")]
        for exp in ("small", "files"):
            self.assertTrue(any(exp in n for n in names),
                            "experiment %s not listed: %s" % (exp, names))
        b.console(self.allow)
        b.screenshot("experiments")

        # Sign out: the login page, and the cookie no longer opens anything.
        b.q("#logout").click()
        b.wait_ready("login")
        b.get("/ui/w/%s/experiments" % WS_NAME)
        b.wait_ready("login")

        # `glia ui`'s link: /ui/login?token=T logs in and drops the token from the address bar.
        b.get("/ui/login?token=" + quote(self.server.owner_token))
        b.wait(lambda: b.body_data().get("ready") == "1" and b.body_data().get("view") not in
               (None, "login"), 10, "login by ?token=")
        self.assertNotIn("token=", b.driver.current_url)
        self.assertNotIn(self.server.owner_token,
                         b.js("return JSON.stringify(history.state) + location.href"))

    # ---------------------------------------------------------------- cancel: reader, CSRF, owner

    def test_02_cancel_roles(self):
        b, s = self.b, self.server
        run = s.submit_job("hold", LIVE_SCRIPT, "held 120 0.5", "held-job")
        s.wait_job(run, ("Running",), 30)
        cancel_path = "/api/v1/workspaces/%s/runs/%s/cancel" % (WS_NAME, quote(run))

        # A reader sees the run and cannot cancel it.
        self.allow = [r"/cancel - Failed to load resource: .* 403"]
        b.login(s.reader_token)
        b.get(self.run_url(run))
        b.wait_ready("run")
        b.wait(lambda: "Running" in b.q("#run-status").text, 10, "#run-status Running")
        buttons = [e for e in b.qa("#cancel-run") if e.is_displayed() and e.is_enabled()]
        if buttons:
            buttons[0].click()
            self.accept_confirm()
            b.wait(lambda: (b.toast_text() or "").startswith("error:"), 5,
                   "an error toast for the reader's cancel")
            log("reader's cancel: %s" % b.toast_text())
        else:
            log("reader's cancel: the page offers no cancel button to a reader")
        answer = b.fetch(cancel_path, "POST", {"X-Glia-UI": "1"})
        self.assertEqual(answer["status"], 403, "a reader's cancel through the cookie")
        self.assertEqual(s.api().rest("GET", "runs/" + run)["status"], "Running")
        b.console(self.allow)

        # The owner's cookie without the X-Glia-UI header (what a cross-site form sends): 403.
        b.login(s.owner_token)
        answer = b.fetch(cancel_path, "POST")
        self.assertEqual(answer["status"], 403, "a cookie POST without X-Glia-UI must be refused")
        self.assertEqual(s.api().rest("GET", "runs/" + run)["status"], "Running")
        b.console(self.allow)

        # The owner cancels from the page: the status shown follows (pushed by the server).
        self.allow = []
        b.get(self.run_url(run))
        b.wait_ready("run")
        b.q("#cancel-run").click()
        self.accept_confirm()
        s.wait_job(run, ("Canceled",), 30)
        b.wait(lambda: "Cancel" in b.q("#run-status").text, 10, "#run-status Canceled")
        hist = b.q("#run-status-history").text
        self.assertIn("Running", hist)

    def accept_confirm(self):
        for _ in range(10):
            try:
                self.b.driver.switch_to.alert.accept()
                return
            except NoAlertPresentException:
                time.sleep(0.1)

    # ---------------------------------------------------------------- runs table

    def test_03_runs_table(self):
        b, s = self.b, self.server
        self.allow = []
        b.login(s.owner_token)
        b.get(self.runs_url("small"))
        b.wait_ready("runs")
        expected = set(self.small.values()) | {self.spiky}
        b.wait(lambda: set(self.row_ids()) == expected, 5, "the seeded runs in #runs-table")
        b.screenshot("runs")

        # Sort by accuracy: the rows follow the header's aria-sort, both ways.
        heads = [h for h in b.qa("#runs-table th[data-sort]")
                 if "accuracy" in h.get_attribute("data-sort")]
        self.assertTrue(heads, "no th[data-sort] for the metric accuracy: %s"
                        % [h.get_attribute("data-sort") for h in b.qa("#runs-table th[data-sort]")])
        key = heads[0].get_attribute("data-sort")
        acc = {self.small[n]: v[0] for n, v in SMALL.items()}
        aria = ("const th = document.querySelector("
                "`#runs-table th[data-sort=\"${arguments[0]}\"]`);"
                "return th ? th.getAttribute('aria-sort') : null")
        seen = set()
        for _ in range(2):
            before_sort = b.js(aria, key)
            b.q('#runs-table th[data-sort="%s"]' % key).click()

            def sorted_now():
                direction = b.js(aria, key)
                if direction not in ("ascending", "descending") or direction == before_sort:
                    return None
                ids = [i for i in self.row_ids() if i in acc]
                want = sorted(acc, key=acc.get, reverse=direction == "descending")
                return direction if ids == want else None

            seen.add(b.wait(sorted_now, 5, "rows sorted by accuracy"))
            self.assertIn("sort=", b.driver.current_url, "the sort is not in the URL")
        self.assertEqual(seen, {"ascending", "descending"})

        # Filter by status (and the URL carries it: reloading it gives the same rows).
        status = b.q("#runs-status")
        if status.tag_name == "select":
            Select(status).select_by_value("Failed")
        else:
            status.clear()
            status.send_keys("Failed", Keys.ENTER)
        b.wait(lambda: self.row_ids() == [self.small["gamma"]], 5, "only the Failed run")
        self.assertIn("status=Failed", b.driver.current_url)
        b.driver.refresh()
        b.wait_ready("runs")
        b.wait(lambda: self.row_ids() == [self.small["gamma"]], 5,
               "only the Failed run after reload")

        # A metric expression.
        b.get(self.runs_url("small"))
        b.wait_ready("runs")
        b.q("#runs-filter").send_keys("metrics.accuracy > 0.8", Keys.ENTER)
        want = {self.small[n] for n in ("alpha", "beta", "epsilon")}
        b.wait(lambda: set(self.row_ids()) == want, 5, "runs with accuracy > 0.8")

        # Select three runs and compare them.
        b.get(self.runs_url("small"))
        b.wait_ready("runs")
        picked = [self.small[n] for n in ("alpha", "beta", "gamma")]
        for rid in picked:
            b.q("#runs-table [data-run-id='%s'] input[data-testid=run-select]" % rid).click()
        b.q("#compare-selected").click()
        b.wait_ready("compare")
        query = b.js("return new URLSearchParams(location.search).get('runs')") or ""
        self.assertEqual(sorted(query.split(",")), sorted(picked))

    # ---------------------------------------------------------------- compare

    def test_04_compare(self):
        b, s = self.b, self.server
        self.allow = []
        b.login(s.owner_token)
        picked = [self.small[n] for n in ("alpha", "beta", "gamma")]
        b.get("/ui/w/%s/compare?runs=%s&metric=loss" % (WS_NAME, ",".join(picked)))
        b.wait_ready("compare")
        b.wait(lambda: (chart_state(b, "#compare-chart") or {}).get("points"), 5,
               "#compare-chart plotted")
        st = chart_state(b, "#compare-chart")
        self.assertIn("metric-chart", b.q("#compare-chart").get_attribute("class"))
        self.assertEqual((st["points"], st["total"]), (60, 60), "3 runs x 20 points of loss")
        self.assertAlmostEqual(st["min"], min(SMALL[n][1] for n in ("alpha", "beta", "gamma")))
        table = b.q("#compare-table").text
        for n in ("alpha", "beta", "gamma"):
            self.assertTrue(n in table or self.small[n] in table, "%s not in #compare-table" % n)
            self.assertIn(SMALL[n][2], table, "param lr of %s not in #compare-table" % n)
        b.screenshot("compare")

    # ---------------------------------------------------------------- 100,000 points

    def test_05_long_series_chart(self):
        b, s = self.b, self.server
        self.allow = []
        b.login(s.owner_token)
        # Timed in the page: from navigation start to the first animation frame after the
        # chart of `signal` says it plotted points.
        script = b.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
            window.__chart = null;
            new MutationObserver(() => {
              if (window.__chart) return;
              const el = document.querySelector('.metric-chart[data-metric="signal"]');
              if (el && Number(el.dataset.points) > 0) {
                window.__chart = {attr: performance.now()};
                requestAnimationFrame(() => { window.__chart.frame = performance.now(); });
              }
            }).observe(document, {subtree: true, childList: true, attributes: true,
                                  attributeFilter: ['data-points']});"""})["identifier"]
        try:
            times = []
            for _ in range(3):
                b.get(self.run_url(self.spiky, "metrics"))
                b.wait(lambda: (b.js("return window.__chart") or {}).get("frame"), 10,
                       "the chart of signal")
                t = b.js("return window.__chart")
                times.append(t["frame"])
        finally:
            b.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                                     {"identifier": script})
        b.wait_ready("run")
        st = chart_state(b, '.metric-chart[data-metric="signal"]')
        log("100,000-point chart: drawn %s ms after navigation start (median %.0f ms); %s"
            % (["%.0f" % x for x in times], statistics.median(times), st))
        self.assertEqual(st["total"], SERIES_LEN)
        self.assertEqual(st["max"], SPIKE_MAX[1], "the maximum spike is not plotted")
        self.assertEqual(st["min"], SPIKE_MIN[1], "the minimum spike is not plotted")
        self.assertLessEqual(st["points"], SERIES_LEN)
        self.assertLess(statistics.median(times), 1000,
                        "a 100,000-point chart took %.0f ms (median of 3) to render"
                        % statistics.median(times))
        b.screenshot("run-metrics-100k")

    # ---------------------------------------------------------------- files, images, models, log

    def test_06_run_files(self):
        b, s = self.b, self.server
        self.allow = []
        b.login(s.owner_token)
        run = self.files_run
        b.get(self.run_url(run))
        b.wait_ready("run")
        b.screenshot("run-overview")
        b.wait(lambda: "Completed" in b.q("#run-status").text, 5, "#run-status Completed")

        b.get(self.run_url(run, "files"))
        b.wait_ready("run")
        links = {a.get_attribute("href"): a for a in b.qa("#run-files a[data-testid=file-link]")}

        def link_for(path):
            for href in links:
                if href.endswith(quote(path).replace("%2F", "/")) or href.endswith(path) \
                        or ("/files/" + path) in href:
                    return href
            raise AssertionError("no file link for %s: %s" % (path, sorted(links)))

        got = b.fetch(link_for("outputs/notes.txt"))
        self.assertEqual(got["status"], 200)
        self.assertEqual(b.fetched_bytes(got), NOTES)
        got = b.fetch(link_for("images/Accuracy vs Loss.png"))
        self.assertEqual(got["status"], 200)
        self.assertEqual(b.fetched_bytes(got), self.png)
        b.screenshot("run-files")

        # The logged image is shown (loaded through the cookie), on whichever tab has it.
        for tab in (None, "files", "metrics"):
            b.get(self.run_url(run, tab))
            b.wait_ready("run")
            if b.qa("#run-images img"):
                break
        b.wait(lambda: b.js("const i = document.querySelector('#run-images img');"
                            "return i && i.complete && i.naturalWidth === 64"), 5,
               "#run-images img loaded")

        b.get(self.run_url(run, "logs"))
        b.wait_ready("run")
        b.wait(lambda: "files job: done" in b.q("#run-log").text, 5,
               "#run-log has the job's output")
        b.screenshot("run-logs")

        b.get(self.run_url(run, "models"))
        b.wait_ready("run")
        b.wait(lambda: "browser-model" in b.q("#run-models").text, 5, "#run-models lists the model")
        b.screenshot("run-models")

    # ---------------------------------------------------------------- a live job

    def test_07_live_job(self):
        b, s = self.b, self.server
        self.allow = []
        b.login(s.owner_token)
        run = s.submit_job("live", LIVE_SCRIPT, "live_loss 40 0.5", "live-job")
        # It appears in its experiment's runs table.
        b.get(self.runs_url("live"))
        b.wait_ready("runs")
        b.wait(lambda: run in self.row_ids(), 10, "the job's row in #runs-table")
        b.q("#runs-table [data-run-id='%s'] a" % run).click()
        b.wait_ready("run")
        self.assertIn("/runs/" + quote(run), b.driver.current_url)
        s.wait_job(run, ("Running",), 30)
        css = '.metric-chart[data-metric="live_loss"]'
        b.wait(lambda: (chart_state(b, css) or {}).get("points"), 10, "the live chart")
        first = chart_state(b, css)["points"]

        # Each point is on the chart within 2 s of being logged (the bound): the chart's
        # point count, polled every 0.1 s for 8 s, against each point's wall_time as stored.
        seen_at = {}  # point count -> when the chart first showed it
        t_end = time.time() + 8
        while time.time() < t_end:
            n = chart_state(b, css)["points"]
            now = time.time()
            for k in range(first + 1, n + 1):
                seen_at.setdefault(k, now)
            time.sleep(0.1)
        series = s.api().rest("GET", "runs/%s/metrics/live_loss" % run)["points"]
        lags = [seen_at[k] - series[k - 1]["wall_time"] for k in sorted(seen_at)]
        log("live chart: %d -> %d points in 8 s; each point on the chart %.2f-%.2f s (median %.2f)"
            " after it was logged" % (first, max(seen_at, default=first), min(lags, default=0),
                                      max(lags, default=0), statistics.median(lags or [0])))
        self.assertGreater(len(seen_at), 8, "the chart did not gain points live")
        self.assertLess(max(lags), 2.0, "a point reached the chart %.2f s after it was logged"
                        % max(lags))
        b.wait(lambda: "step " in b.q("#run-log").text, 5, "the log streams into #run-log")
        b.screenshot("run-live")
        # The end is pushed too: the status turns Completed without a reload.
        s.wait_job(run, ("Completed",), 40)
        b.wait(lambda: "Completed" in b.q("#run-status").text, 5, "#run-status Completed live")
        self.assertEqual(chart_state(b, css)["points"], 40)

    # ---------------------------------------------------------------- models, datasets, compute

    def test_08_assets_and_compute(self):
        b, s = self.b, self.server
        self.allow = []
        b.login(s.owner_token)
        b.get("/ui/w/%s/models" % WS_NAME)
        b.wait_ready("models")
        self.assertIn("browser-model", b.q("#models-table").text)
        b.screenshot("models")
        b.get("/ui/w/%s/models/browser-model/1" % WS_NAME)
        b.wait_ready("models")
        lineage = b.q("#model-lineage")
        self.assertTrue(
            lineage.find_elements("css selector", "a[href*='/runs/%s']" % self.files_run),
            "#model-lineage has no link to its run: %s" % lineage.text)
        b.screenshot("model-version")
        b.console()
        b.get("/ui/w/%s/datasets" % WS_NAME)
        b.wait_ready("datasets")
        self.assertIn("browser-data", b.q("#datasets-table").text)
        b.screenshot("datasets")
        b.get("/ui/w/%s/datasets/browser-data/1" % WS_NAME)
        b.wait_ready("datasets")
        self.assertIn("browser-data", b.q("#dataset-detail").text)
        b.screenshot("dataset")
        b.console()
        b.get("/ui/w/%s/compute" % WS_NAME)
        b.wait_ready("compute")
        self.assertIn("local", b.q("#compute-table").text)
        b.screenshot("compute")

    # ---------------------------------------------------------------- a sweep

    def test_09_sweep(self):
        b, s = self.b, self.server
        self.allow = []
        code = os.path.join(s.work, "code-sweep")
        os.makedirs(code)
        with open(os.path.join(code, "trial.py"), "w") as f:
            f.write("import sys\nfrom glia import Run\nrun = Run.get_context(allow_offline=False)\n"
                    "x, lr = float(sys.argv[1]), float(sys.argv[2])\n"
                    "for epoch in range(1, 6):\n    run.log('acc', x * epoch / 5 - lr)\n")
        with open(os.path.join(code, "sweep.yml"), "w") as f:
            f.write("type: sweep\nexperiment_name: sweeps\ntrial:\n  code: .\n"
                    "  command: python3 trial.py ${{search_space.x}} ${{search_space.lr}}\n"
                    "sampling_algorithm: grid\nsearch_space:\n"
                    "  x: {type: choice, values: [0.3, 0.9, 0.6]}\n"
                    "  lr: {type: choice, values: [0.01, 0.1]}\n"
                    "objective: {primary_metric: acc, goal: maximize}\n"
                    "limits: {max_total_trials: 6, max_concurrent_trials: 3}\n")
        p = subprocess.run([GLIA, "-w", s.ws, "job", "submit", "-f", "sweep.yml", "-o", "json"],
                           cwd=code, capture_output=True, text=True, env=s.env)
        self.assertEqual(p.returncode, 0, p.stderr)
        sweep = json.loads(p.stdout)["id"]
        self.assertEqual(s.wait_job(sweep, ("Completed", "Failed", "Canceled"), 90), "Completed")
        best = s.api().rest("GET", "runs/best:" + sweep)["id"]
        b.login(s.owner_token)
        b.get("/ui/w/%s/sweeps/%s" % (WS_NAME, quote(sweep)))
        b.wait_ready("sweep")
        b.wait(lambda: len(b.qa("#trials-table [data-testid=trial-row]")) == 6, 5,
               "6 rows in #trials-table")
        marked = [r.get_attribute("data-run-id") for r in
                  b.qa("#trials-table [data-testid=trial-row][data-best=true]")]
        self.assertEqual(marked, [best], "the best trial's row is not the one marked")
        first = b.q("#trials-table [data-testid=trial-row]").get_attribute("data-run-id")
        self.assertEqual(first, best, "the trials are not sorted by the primary metric")
        b.wait(lambda: (chart_state(b, "#sweep-chart") or {}).get("points") == 30, 5,
               "#sweep-chart with 6 trials x 5 points")
        self.assertAlmostEqual(chart_state(b, "#sweep-chart")["max"], 0.9 - 0.01)
        self.assertTrue(b.qa("#parallel-coords svg"), "no #parallel-coords svg")
        b.screenshot("sweep")

    # ---------------------------------------------------------------- the system's theme

    def test_10_dark_theme(self):
        b, s = self.b, self.server
        self.allow = []
        b.login(s.owner_token)
        background = "return getComputedStyle(document.body).backgroundColor"
        b.get(self.runs_url("small"))
        b.wait_ready("runs")
        light = b.js(background)
        try:
            b.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
                "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
            b.get(self.runs_url("small"))
            b.wait_ready("runs")
            dark = b.js(background)
            b.screenshot("runs-dark")
        finally:
            b.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
                "features": [{"name": "prefers-color-scheme", "value": "light"}]})

        def lightness(css):
            r, g, bl = [float(v) for v in re.findall(r"[\d.]+", css)[:3]]
            return (r + g + bl) / 3

        self.assertGreater(lightness(light), 128, "the light theme's background is %s" % light)
        self.assertLess(lightness(dark), 128, "the dark theme's background is %s" % dark)


if __name__ == "__main__":
    unittest.main(verbosity=2)
