"""The browser tests' harness: a real `glia server` on a workspace the test seeds through Glia's
own API and CLI, and a real Chromium (Debian's chromium + chromium-driver) driven by Selenium.

Environment (set by tests/browser/run.sh): GLIA (the glia binary), GLIA_ARTIFACTS (where the
screenshots go). Nothing here skips: a missing browser, driver or server is a failure.
"""

import base64
import http.client
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import zlib

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

GLIA = os.environ["GLIA"]
ARTIFACTS = os.environ["GLIA_ARTIFACTS"]
CHROMIUM = os.environ.get("GLIA_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("GLIA_CHROMEDRIVER", "/usr/bin/chromedriver")
WS_NAME = "team"


def log(msg):
    print("browser: " + msg, file=sys.stderr, flush=True)


def glia(ws, *args, check=True, env=None):
    """Runs `glia -w WS ARGS...`; returns stdout (text)."""
    p = subprocess.run([GLIA, "-w", ws, *args], capture_output=True, text=True, env=env)
    if check and p.returncode != 0:
        raise AssertionError("glia %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                         p.stderr.strip()))
    return p.stdout


def png_bytes(width, height, rgb):
    """A real PNG (truecolor, no filter) of one colour with a diagonal line: no imaging library."""
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            row += bytes((20, 20, 20)) if abs(x - y) < 2 else bytes(rgb)
        rows.append(bytes(row))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


class Api:
    """One keep-alive HTTP connection to the server with a bearer token (not thread-safe: one
    per thread)."""

    def __init__(self, port, token):
        self.port = port
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method, path, body=None, headers=None, expect=(200, 201, 202, 204)):
        h = {"Authorization": "Bearer " + self.token}
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        for attempt in range(2):
            try:
                self.conn.request(method, path, body, h)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        if expect and r.status not in expect:
            raise AssertionError("%s %s: HTTP %d %s" % (method, path, r.status, data[:300]))
        self.status = r.status
        ctype = r.getheader("Content-Type") or ""
        return json.loads(data) if data and "json" in ctype else data

    def mlflow(self, method, body):
        return self.request("POST", "/api/2.0/mlflow/" + method, body)

    def rest(self, method, rel, body=None, **kw):
        return self.request(method, "/api/v1/workspaces/%s/%s" % (WS_NAME, rel), body, **kw)

    def close(self):
        self.conn.close()


class Server:
    """A workspace `team` with an owner (ann), a contributor (cat) and a reader (rex), each with
    a real token, and `glia server` on it on a free port."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="glia-browser-")
        self.ws = os.path.join(self.work, WS_NAME)
        self.proc = None
        self.env = dict(os.environ, GLIA_AGENT_IDLE_EXIT="3")
        glia(self.work, "workspace", "init", self.ws)
        self.tokens = {}
        for user, role in (("ann", "owner"), ("rex", "reader")):
            glia(self.ws, "user", "add", user, "--role", role)
            self.tokens[role] = json.loads(glia(self.ws, "token", "create", "--user", user,
                                                "-o", "json"))["token"]
        self.owner_token = self.tokens["owner"]
        self.reader_token = self.tokens["reader"]

    def start(self):
        out = open(os.path.join(self.work, "server.out"), "w")
        self.err_path = os.path.join(self.work, "server.err")
        err = open(self.err_path, "w")
        self.proc = subprocess.Popen([GLIA, "-w", self.ws, "server", "--listen", "127.0.0.1:0"],
                                     stdout=out, stderr=err, env=self.env)
        pattern = re.compile(r"^glia server: serving workspace .* on http://[^:]*:(\d+)$", re.M)
        for _ in range(200):
            with open(os.path.join(self.work, "server.out")) as f:
                m = pattern.search(f.read())
            if m:
                self.port = int(m.group(1))
                self.base = "http://127.0.0.1:%d" % self.port
                log("server on %s (workspace %s)" % (self.base, self.ws))
                return
            if self.proc.poll() is not None:
                raise AssertionError("glia server exited: " + open(self.err_path).read())
            time.sleep(0.05)
        raise AssertionError("glia server did not start: " + open(self.err_path).read())

    def api(self, role="owner"):
        return Api(self.port, self.tokens[role])

    def url(self, path):
        return self.base + path

    def stop(self):
        """SIGTERM: the server must stop gracefully (exit 0), also with the page's event streams
        open. Then the agents this test started are stopped."""
        # Jobs a failed test left running are canceled (their processes end with them).
        for status in ("Queued", "Running"):
            out = glia(self.ws, "job", "list", "--status", status, "-o", "json", check=False)
            for job in json.loads(out or "[]"):
                glia(self.ws, "job", "cancel", job["id"], check=False)
        rc = None
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = "timeout"
        for root, _, files in os.walk(os.path.join(self.ws, ".glia", "agent")):
            if "agent.pid" in files:
                try:
                    os.kill(int(open(os.path.join(root, "agent.pid")).read().split()[0]),
                            signal.SIGTERM)
                except (ValueError, ProcessLookupError, PermissionError):
                    pass
        return rc

    def cleanup(self):
        if os.environ.get("KEEP"):
            log("kept " + self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    # ---- seeding through Glia's own API and CLI ----

    def experiment(self, api, name):
        return api.mlflow("experiments/create", {"name": name})["experiment_id"]

    def mlflow_run(self, api, exp_id, name, *, metrics=None, params=None, tags=None,
                   status="FINISHED", series=None):
        """A run made through the MLflow REST API: latest metrics, params and tags in one
        log-batch, optional series ({name: [values]}), then its end status (or left Running)."""
        now = int(time.time() * 1000)
        run = api.mlflow("runs/create", {"experiment_id": exp_id, "run_name": name,
                                         "start_time": now})["run"]["info"]["run_id"]
        batch_metrics = [{"key": k, "value": v, "timestamp": now, "step": 0}
                         for k, v in (metrics or {}).items()]
        for key, values in (series or {}).items():
            batch_metrics += [{"key": key, "value": v, "timestamp": now + i, "step": i}
                              for i, v in enumerate(values)]
        batch = {"run_id": run,
                 "params": [{"key": k, "value": str(v)} for k, v in (params or {}).items()],
                 "tags": [{"key": k, "value": str(v)} for k, v in (tags or {}).items()]}
        for i in range(0, max(len(batch_metrics), 1), 1000):  # MLflow's log-batch limit
            api.mlflow("runs/log-batch", dict(batch, metrics=batch_metrics[i:i + 1000]))
            batch = {"run_id": run, "params": [], "tags": []}
        if status != "RUNNING":
            api.mlflow("runs/update", {"run_id": run, "status": status,
                                       "end_time": int(time.time() * 1000)})
        return run

    def log_series(self, api, run, name, values):
        """A long series through Glia's REST metric batch route (10,000 values a request)."""
        for i in range(0, len(values), 10000):
            api.rest("POST", "runs/%s/metrics" % run,
                     [{"name": name, "value": v, "step": i + j}
                      for j, v in enumerate(values[i:i + 10000])])

    def many_runs(self, experiment, count, threads=4):
        """COUNT finished runs in EXPERIMENT through the MLflow REST API (runs/create, one
        log-batch with 2 metrics, 2 params and a tag, runs/update), over THREADS keep-alive
        connections. Returns the seconds it took."""
        api = self.api()
        exp_id = self.experiment(api, experiment)
        t0 = time.time()
        errors = []

        def worker(k):
            try:
                a = self.api()
                for i in range(k, count, threads):
                    self.mlflow_run(a, exp_id, "run-%05d" % i,
                                    metrics={"accuracy": (i * 7919 % 10007) / 10007.0,
                                             "loss": 1.0 - (i * 7919 % 10007) / 10007.0},
                                    params={"lr": "%.4f" % (0.001 * (1 + i % 10)),
                                            "batch": 32 << (i % 3)},
                                    tags={"team": "ab"[i % 2]},
                                    status="FAILED" if i % 50 == 0 else "FINISHED")
                a.close()
            except Exception as e:  # reported by the caller
                errors.append(e)

        ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        if errors:
            raise errors[0]
        return time.time() - t0

    def submit_job(self, experiment, script, args, name, files=None):
        """`glia job submit` of a Python script that logs through Glia's tracking (the Python
        client in the job's PYTHONPATH); returns the run id at once (the job runs in the
        workspace's agent)."""
        code = os.path.join(self.work, "code-" + name)
        os.makedirs(code, exist_ok=True)
        with open(os.path.join(code, "train.py"), "w") as f:
            f.write(script)
        for path, data in (files or {}).items():
            with open(os.path.join(code, path), "wb") as f:
                f.write(data)
        with open(os.path.join(code, "job.yml"), "w") as f:
            f.write("type: command\ncommand: python3 -u train.py %s\ncode: .\n"
                    "experiment_name: %s\ndisplay_name: %s\n" % (args, experiment, name))
        p = subprocess.run([GLIA, "-w", self.ws, "job", "submit", "-f", "job.yml", "-o", "json"],
                           cwd=code, capture_output=True, text=True, env=self.env)
        if p.returncode != 0:
            raise AssertionError("job submit failed: " + p.stderr)
        return json.loads(p.stdout)["id"]

    def wait_job(self, run, statuses, seconds=60):
        api = self.api()
        deadline = time.time() + seconds
        while time.time() < deadline:
            status = api.rest("GET", "runs/" + run)["status"]
            if status in statuses:
                return status
            time.sleep(0.2)
        raise AssertionError("run %s never reached %s (is %s)" % (run, statuses, status))


# A job's script: logs NAME every DT seconds, N times, printing a log line each time.
LIVE_SCRIPT = r'''
import sys, time
from glia import Run
run = Run.get_context(allow_offline=False)
name, n, dt = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
for i in range(n):
    run.log(name, 1.0 / (i + 1))
    print("step %d %s=%.6f" % (i, name, 1.0 / (i + 1)), flush=True)
    time.sleep(dt)
'''


class Browser:
    """Headless Chromium, light theme, fixed window; console entries read after every page."""

    def __init__(self, server):
        self.server = server
        for path in (CHROMIUM, CHROMEDRIVER):
            if not os.access(path, os.X_OK):
                raise AssertionError("%s is missing: run 'bash scripts/install-deps.sh' (Debian's "
                                     "chromium and chromium-driver)" % path)
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=1280,860", "--enable-precise-memory-info",
                  "--disable-extensions", "--no-first-run", "--no-default-browser-check",
                  "--hide-scrollbars", "--force-color-profile=srgb"):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        self.driver.set_page_load_timeout(30)
        self.driver.set_script_timeout(30)
        # Light theme for the screenshots (the pages follow the system's scheme).
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
            "features": [{"name": "prefers-color-scheme", "value": "light"}]})
        os.makedirs(ARTIFACTS, exist_ok=True)

    def quit(self):
        try:
            self.driver.quit()
        except Exception:
            pass

    # ---- navigation and hooks ----

    def get(self, path):
        self.driver.get(self.server.url(path))

    def wait(self, cond, timeout=10, what="condition"):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(
                lambda d: cond())
        except TimeoutException:
            main = self.driver.execute_script(
                "const m = document.getElementById('main'); return m ? m.innerText : ''")
            raise AssertionError("timed out after %ss waiting for %s (url %s, body %s, toast %r, "
                                 "page %r)" % (timeout, what, self.driver.current_url,
                                               self.body_data(), self.toast_text(),
                                               (main or "")[:300])) from None

    def body_data(self):
        return self.driver.execute_script("return Object.assign({}, document.body.dataset)")

    def toast_text(self):
        return self.driver.execute_script(
            "const t = document.getElementById('toast');"
            "return t && !t.hidden ? (t.dataset.kind || '') + ': ' + t.textContent : null")

    def wait_ready(self, view, timeout=10):
        """Waits until the router has rendered VIEW (body data-view and data-ready="1")."""
        self.wait(lambda: self.body_data().get("ready") == "1"
                  and self.body_data().get("view") == view, timeout, "view %r ready" % view)

    def q(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def qa(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def fetch(self, url, method="GET", headers=None):
        """fetch() from the page (with its cookie): {status, b64} of the answer's bytes."""
        return self.driver.execute_async_script("""
            const [url, method, headers, done] = arguments;
            fetch(url, {method, headers, credentials: 'same-origin'}).then(async (r) => {
              const buf = new Uint8Array(await r.arrayBuffer());
              let s = ''; for (let i = 0; i < buf.length; i += 8192)
                s += String.fromCharCode.apply(null, buf.subarray(i, i + 8192));
              done({status: r.status, b64: btoa(s)});
            }).catch((e) => done({status: -1, b64: '', error: String(e)}));""",
            url, method, headers or {})

    @staticmethod
    def fetched_bytes(answer):
        return base64.b64decode(answer["b64"])

    def login(self, token, expect_view="experiments"):
        self.driver.delete_all_cookies()
        self.get("/ui/login")
        self.wait_ready("login")
        self.q("#token").clear()
        self.q("#token").send_keys(token)
        self.q("#login-submit").click()
        self.wait_ready(expect_view)

    # ---- console and screenshots ----

    def console(self, allow=()):
        """The browser log since the last call; SEVERE entries not matching a pattern in ALLOW
        fail the test."""
        entries = self.driver.get_log("browser")
        bad = [e["message"] for e in entries if e["level"] == "SEVERE"
               and not any(re.search(p, e["message"]) for p in allow)]
        if bad:
            raise AssertionError("console errors on %s:\n  %s" % (self.driver.current_url,
                                                                  "\n  ".join(bad)))
        return entries

    def screenshot(self, name, error_toast=False):
        """Saves the page as GLIA_ARTIFACTS/NAME.png, then checks that it shows no undefined,
        null, NaN or [object Object] (a value the page failed to format), nor an error toast
        (unless ERROR_TOAST)."""
        path = os.path.join(ARTIFACTS, name + ".png")
        self.driver.save_screenshot(path)
        text = self.driver.execute_script(
            "const m = document.getElementById('main'); return m ? m.innerText : ''")
        junk = re.findall(r".{0,40}(?:\bundefined\b|\bnull\b|\bNaN\b|\[object Object\]).{0,40}",
                          text or "")
        if junk:
            raise AssertionError("%s shows unformatted values: %s"
                                 % (self.driver.current_url, junk))
        toast = self.toast_text()
        if not error_toast and toast and toast.startswith("error:"):
            raise AssertionError("%s shows an error: %s" % (self.driver.current_url, toast))
        return path

    def heap_used(self):
        """JS heap in use after a full garbage collection (CDP), in bytes."""
        self.driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
        return self.driver.execute_cdp_cmd("Runtime.getHeapUsage", {})["usedSize"]


def chart_state(browser, css):
    """The data attributes of a .metric-chart (None while it is not in the DOM)."""
    return browser.js("""
        const el = document.querySelector(arguments[0]);
        if (!el) return null;
        const n = (k) => el.dataset[k] === undefined || el.dataset[k] === ''
                         ? null : Number(el.dataset[k]);
        return {points: n('points'), total: n('total'), min: n('min'), max: n('max')};""", css)


def quote(s):
    return urllib.parse.quote(s, safe="")


def shutdown(cls):
    """A test class's end (also after a failed setUpClass): the browser, then the server, which
    must stop gracefully."""
    browser, server = getattr(cls, "browser", None), getattr(cls, "server", None)
    cls.browser = cls.server = None
    if browser:
        browser.quit()
    if server:
        rc = server.stop()
        server.cleanup()
        if rc != 0:
            raise AssertionError("glia server did not stop gracefully: exit %s" % rc)


class ServerCase(unittest.TestCase):
    """A test class over one seeded server and browser: `seed` (a classmethod the class defines)
    runs once; the browser and the server are stopped at the end, also when seeding failed."""

    @classmethod
    def setUpClass(cls):
        try:
            cls.seed()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        shutdown(cls)

    def setUp(self):
        self.b.driver.get_log("browser")  # what an earlier test left is that test's
