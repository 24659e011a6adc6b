// Scoring with a Python score.py (glia::serving::ScriptScorer): real Python worker processes
// running small scripts the tests write, and the seed's own score.py with real Keras when the
// venv of scripts/install-keras.sh is there.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "glia/error.hpp"
#include "glia/serving/script_scorer.hpp"
#include "temp_dir.hpp"

using namespace glia;
using glia::serving::ScriptOptions;
using glia::serving::ScriptReply;
using glia::serving::ScriptScorer;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const std::string kSource = GLIA_SOURCE_DIR;

class ScriptScorerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("script-scorer");
    fs::create_directories(dir_ / "code");
    fs::create_directories(dir_ / "model");
    std::ofstream(dir_ / "model" / "weights.txt") << "42\n";
    log_path_ = dir_ / "endpoint.log";
    log_fd_ = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    ASSERT_GE(log_fd_, 0);
  }
  void TearDown() override {
    if (log_fd_ >= 0) ::close(log_fd_);
    fs::remove_all(dir_);
  }

  ScriptOptions options(const std::string& script_text, int workers = 1) {
    std::ofstream(dir_ / "code" / "score.py") << script_text;
    ScriptOptions o;
    o.python = "python3";
    o.script = (dir_ / "code" / "score.py").string();
    o.code_dir = (dir_ / "code").string();
    o.model_dir = (dir_ / "model").string();
    o.model_name = "keras-mlp-mnist";
    o.model_version = 3;
    o.env["PYTHONPATH"] = kSource + "/clients/python:" + kSource + "/clients/azureml-shim";
    o.workers = workers;
    o.init_timeout_s = 60;
    o.log_fd = log_fd_;
    o.stop_grace_s = 2;
    return o;
  }

  std::string log_text() const {
    std::ifstream in(log_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  fs::path dir_;
  fs::path log_path_;
  int log_fd_ = -1;
};

// A script with a few behaviours chosen by the request ({"mode": ...}).
const char* kModesScript = R"PY(
import json, os, sys, time

from azureml.core.model import Model

model = None

def init():
    global model
    root = Model.get_model_path('keras-mlp-mnist')
    with open(os.path.join(root, 'weights.txt')) as f:
        model = int(f.read())

def run(raw_data):
    req = json.loads(raw_data)
    mode = req.get('mode', 'sum')
    if mode == 'sum':
        return [sum(row) + model for row in req['data']]
    if mode == 'str':
        return 'plain text'
    if mode == 'none':
        return None
    if mode == 'pid':
        return {'pid': os.getpid(), 'n': req['n']}
    if mode == 'sleep':
        open('sleeping', 'w').close()  # in the code folder, the worker's working folder
        time.sleep(req['s'])
        return 'slept'
    if mode == 'raise':
        raise ValueError('secret-detail-' + str(req.get('n', 0)))
    if mode == 'set':
        return {1, 2}
    if mode == 'exit':
        os._exit(7)
    if mode == 'response':
        from azureml.contrib.services.aml_response import AMLResponse
        return AMLResponse('made <b>here</b>', 201, {'X-Extra': 'a, b'})
    if mode == 'response500':
        from azureml.contrib.services.aml_response import AMLResponse
        return AMLResponse({'why': 'model said no'}, 503, json_str=True)
    raise KeyError(mode)
)PY";

std::string header(const ScriptReply& r, const std::string& name) {
  std::string out;
  for (const auto& [k, v] : r.headers)
    if (k == name) out += (out.empty() ? "" : ",") + v;
  return out;
}

json error_of(const ScriptReply& r) {
  return json::parse(r.body).at("error");
}

bool wait_until(const std::function<bool()>& ok, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ok();
}

// A process that exited is a zombie until its parent (the scorer, in this process) reaps it.
// Whether the process is gone or a zombie whose other threads are gone too: a thread group's
// leader shows 'Z' while its other threads (the worker's parent watcher) are still exiting, and
// the last of them is what closes its descriptors, the worker's socket among them.
bool dead_or_zombie(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string text;
  std::getline(stat, text);
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] != 'Z')
    return false;
  std::error_code ec;
  int threads = 0;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec))
    ++threads;
  return threads <= 1;
}

}  // namespace

TEST_F(ScriptScorerTest, InitThenRunRoundTripAsAzuresServerAnswers) {
  auto scorer = ScriptScorer::start(options(kModesScript));
  ScriptReply r = scorer->run(R"({"data": [[1, 2], [3, 4.5]]})", 10);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(json::parse(r.body), json::parse("[45, 49.5]"));  // init() read the model's file
  EXPECT_FALSE(header(r, "x-ms-run-fn-exec-ms").empty());

  // What run() returns is json.dumps'ed, as Azure's server does: a str becomes a JSON string,
  // None becomes {}.
  r = scorer->run(R"({"mode": "str"})", 10);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "\"plain text\"");
  r = scorer->run(R"({"mode": "none"})", 10);
  EXPECT_EQ(r.body, "{}");

  // An AMLResponse is answered as it is: status, body, content type, headers (a value with
  // commas as one header per part).
  r = scorer->run(R"({"mode": "response"})", 10);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "made <b>here</b>");
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(r, "X-Extra"), "a,b");
  EXPECT_EQ(header(r, "x-ms-run-function-failed"), "False");
  r = scorer->run(R"({"mode": "response500"})", 10);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"why": "model said no"})"));
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(header(r, "x-ms-run-function-failed"), "True");
}

TEST_F(ScriptScorerTest, ManyConcurrentCallsOverTwoWorkers) {
  auto scorer = ScriptScorer::start(options(kModesScript, 2));
  const std::vector<int> pids = scorer->worker_pids();
  ASSERT_EQ(pids.size(), 2u);
  std::mutex mu;
  std::set<int> seen;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const int n = t * 1000 + i;
        const ScriptReply r = scorer->run(R"({"mode": "pid", "n": )" + std::to_string(n) + "}", 30);
        const json j = json::parse(r.body);
        if (r.status != 200 || j.at("n") != n) ++wrong;
        std::lock_guard lock(mu);
        seen.insert(j.value("pid", 0));
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(seen, std::set<int>(pids.begin(), pids.end()));  // both workers served
}

TEST_F(ScriptScorerTest, InitFailureCarriesTheScriptsOwnError) {
  try {
    ScriptScorer::start(options(R"PY(
def init():
    raise FileNotFoundError("no model.json in /models/x")
def run(raw_data):
    return 1
)PY",
                                2));
    FAIL() << "started a script whose init() raises";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    const std::string what = e.what();
    EXPECT_NE(what.find("FileNotFoundError: no model.json in /models/x"), std::string::npos)
        << what;
    EXPECT_NE(what.find("init()"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  EXPECT_NE(log_text().find("Traceback"), std::string::npos);  // the whole traceback is logged

  // A script without run(), one that does not import, one whose run() cannot be called.
  const std::pair<const char*, const char*> bad[] = {
      {"def init():\n    pass\n", "does not have a run() function"},
      {"import no_such_module_here\n", "ModuleNotFoundError"},
      {"def init(): pass\ndef run(*args): pass\n", "*args"},
      {"from azureml.contrib.services.aml_request import rawhttp\n"
       "def init(): pass\n@rawhttp\ndef run(request): pass\n",
       "@rawhttp"},
  };
  for (const auto& [text, expected] : bad) {
    try {
      ScriptScorer::start(options(text));
      ADD_FAILURE() << "started " << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}

TEST_F(ScriptScorerTest, RefusesOptionsItCannotUse) {
  ScriptOptions o = options(kModesScript);
  o.python = "/nonexistent/python3";
  EXPECT_THROW(ScriptScorer::start(o), Error);
  o = options(kModesScript);
  o.script = (dir_ / "code" / "missing.py").string();
  EXPECT_THROW(ScriptScorer::start(o), Error);
  o = options(kModesScript);
  o.model_dir = (dir_ / "no-model").string();
  EXPECT_THROW(ScriptScorer::start(o), Error);
  o = options(kModesScript);
  o.env["AZUREML_MODEL_DIR"] = "/elsewhere";  // the scorer sets it: never silently replaced
  EXPECT_THROW(ScriptScorer::start(o), Error);
  // Without Glia's Python client on PYTHONPATH the worker cannot start, and says why.
  o = options(kModesScript);
  o.env["PYTHONPATH"] = dir_.string();
  try {
    ScriptScorer::start(o);
    FAIL() << "started without the worker module";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("glia._score_worker"), std::string::npos) << e.what();
  }
}

TEST_F(ScriptScorerTest, InitThatDoesNotFinishInTimeIsAnError) {
  ScriptOptions o =
      options("import time\ndef init():\n    time.sleep(60)\ndef run(d):\n    pass\n");
  o.init_timeout_s = 0.5;
  const auto start = std::chrono::steady_clock::now();
  try {
    ScriptScorer::start(o);
    FAIL() << "started";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did not finish within"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(ScriptScorerTest, RunRaisingIs500WithTheTracebackInTheLogOnly) {
  auto scorer = ScriptScorer::start(options(kModesScript));
  ScriptReply r = scorer->run(R"({"mode": "raise", "n": 7})", 10);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.content_type, "application/json");
  const json e = error_of(r);
  EXPECT_EQ(e.at("kind"), "internal");
  EXPECT_NE(e.at("message").get<std::string>().find("raised an exception"), std::string::npos);
  EXPECT_EQ(r.body.find("secret-detail"), std::string::npos);  // Azure tells the client nothing
  EXPECT_EQ(header(r, "x-ms-run-function-failed"), "True");
  EXPECT_NE(log_text().find("ValueError: secret-detail-7"), std::string::npos);

  // A value json.dumps refuses, and a body that is not UTF-8.
  r = scorer->run(R"({"mode": "set"})", 10);
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(error_of(r).at("message").get<std::string>().find("not JSON serializable"),
            std::string::npos)
      << r.body;
  r = scorer->run("{\"data\": \"\xff\xfe\"}", 10);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r).at("kind"), "invalid_argument");

  // The worker is unharmed.
  r = scorer->run(R"({"data": [[1]]})", 10);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "[43]");
}

TEST_F(ScriptScorerTest, AWorkerKilledMidRequestIsRestartedAndOthersUnaffected) {
  auto scorer = ScriptScorer::start(options(kModesScript, 2));
  ScriptReply slow;
  std::jthread t([&] { slow = scorer->run(R"({"mode": "sleep", "s": 30})", 60); });
  // The busy worker is the one the other requests never reach.
  ASSERT_TRUE(wait_until([&] { return fs::exists(dir_ / "code" / "sleeping"); }, 30));
  std::set<int> free_pids;
  for (int i = 0; i < 5; ++i) {
    const ScriptReply r = scorer->run(R"({"mode": "pid", "n": 1})", 10);
    ASSERT_EQ(r.status, 200);
    free_pids.insert(json::parse(r.body).value("pid", 0));
  }
  ASSERT_EQ(free_pids.size(), 1u);
  int busy = 0;
  for (int pid : scorer->worker_pids())
    if (!free_pids.count(pid)) busy = pid;
  ASSERT_GT(busy, 0);
  ASSERT_EQ(::kill(busy, SIGKILL), 0);
  t.join();
  EXPECT_EQ(slow.status, 503);
  EXPECT_EQ(error_of(slow).at("kind"), "unavailable");
  EXPECT_NE(error_of(slow).at("message").get<std::string>().find("died"), std::string::npos);

  // The other worker went on serving; the killed one comes back with a new process.
  EXPECT_EQ(scorer->run(R"({"data": [[1]]})", 10).status, 200);
  ASSERT_TRUE(wait_until([&] { return scorer->ready_workers() == 2; }, 30));
  const std::vector<int> pids = scorer->worker_pids();
  EXPECT_EQ(std::count(pids.begin(), pids.end(), busy), 0);
  std::set<int> served;
  for (int i = 0; i < 40 && served.size() < 2; ++i) {
    std::vector<std::thread> pair;
    std::mutex mu;
    for (int k = 0; k < 2; ++k)
      pair.emplace_back([&] {
        const ScriptReply r = scorer->run(R"({"mode": "pid", "n": 2})", 10);
        std::lock_guard lock(mu);
        if (r.status == 200) served.insert(json::parse(r.body).value("pid", 0));
      });
    for (auto& p : pair) p.join();
  }
  EXPECT_EQ(served, std::set<int>(pids.begin(), pids.end()));
  EXPECT_NE(log_text().find("killed by signal 9"), std::string::npos);

  // A worker that exits by itself mid-request is the same.
  const ScriptReply r = scorer->run(R"({"mode": "exit"})", 10);
  EXPECT_EQ(r.status, 503);
  ASSERT_TRUE(wait_until([&] { return scorer->ready_workers() == 2; }, 30));
  EXPECT_NE(log_text().find("exited with status 7"), std::string::npos);
}

TEST_F(ScriptScorerTest, AWorkerKilledWhileIdleCostsNoRequest) {
  auto scorer = ScriptScorer::start(options(kModesScript, 1));
  const int pid = scorer->worker_pids().at(0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(wait_until([&] { return dead_or_zombie(pid); }, 10));
  // The request never reached the dead worker: it waits for the restarted one.
  const ScriptReply r = scorer->run(R"({"data": [[1]]})", 60);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(scorer->worker_pids().at(0), pid);
}

TEST_F(ScriptScorerTest, RunPastItsTimeoutIs504AndTheWorkerRestarted) {
  auto scorer = ScriptScorer::start(options(kModesScript, 1));
  const int pid = scorer->worker_pids().at(0);
  const auto start = std::chrono::steady_clock::now();
  ScriptReply r = scorer->run(R"({"mode": "sleep", "s": 30})", 0.5);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(r.status, 504);
  EXPECT_EQ(error_of(r).at("kind"), "unavailable");
  r = scorer->run(R"({"data": [[1]]})", 60);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(scorer->worker_pids().at(0), pid);
  // While the only worker is busy, a request that cannot get one in time is a 503.
  fs::remove(dir_ / "code" / "sleeping");
  std::jthread t([&] { scorer->run(R"({"mode": "sleep", "s": 1.5})", 10); });
  ASSERT_TRUE(wait_until([&] { return fs::exists(dir_ / "code" / "sleeping"); }, 30));
  r = scorer->run(R"({"data": [[1]]})", 0.2);
  EXPECT_EQ(r.status, 503);
  t.join();
}

TEST_F(ScriptScorerTest, PrintOutputGoesToTheLogNotTheProtocol) {
  auto scorer = ScriptScorer::start(options(R"PY(
import os, sys
def init():
    print("init says hello")
    os.write(1, b"\x00\x00\x00\x05raw bytes on fd 1\n")
def run(raw_data):
    print("scoring", raw_data)
    print("to stderr", file=sys.stderr)
    os.write(1, b"\x00\x00\x00\x08\x00\x00\x00\x02{}\n")
    sys.stdout.write("no newline")
    return {"echo": raw_data}
)PY",
                                            2));
  for (int i = 0; i < 20; ++i) {
    const ScriptReply r = scorer->run("\"call " + std::to_string(i) + "\"", 10);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body).at("echo"), "\"call " + std::to_string(i) + "\"");
  }
  const std::string log = log_text();
  EXPECT_NE(log.find("init says hello"), std::string::npos);
  EXPECT_NE(log.find("scoring \"call 19\""), std::string::npos);
  EXPECT_NE(log.find("to stderr"), std::string::npos);
}

TEST_F(ScriptScorerTest, ModelGetModelPathResolvesOnlyTheServedModel) {
  const std::string script = R"PY(
import json, os
import glia
from azureml.core.model import Model

def init():
    pass

def run(raw_data):
    req = json.loads(raw_data)
    try:
        if req.get("glia"):
            return {"path": glia.Model.get_model_path(req["name"], req.get("version"))}
        return {"path": Model.get_model_path(req["name"], req.get("version"))}
    except LookupError as e:
        return {"error": str(e)}

)PY";
  auto scorer = ScriptScorer::start(options(script));
  const std::string model_dir = (dir_ / "model").string();
  auto ask = [&](const std::string& body) { return json::parse(scorer->run(body, 10).body); };
  EXPECT_EQ(ask(R"({"name": "keras-mlp-mnist"})").value("path", ""), model_dir);
  EXPECT_EQ(ask(R"({"name": "keras-mlp-mnist", "version": 3})").value("path", ""), model_dir);
  EXPECT_EQ(ask(R"({"name": "keras-mlp-mnist", "glia": true})").value("path", ""), model_dir);
  const std::string other = ask(R"({"name": "other-model"})").value("error", "");
  EXPECT_NE(other.find("'other-model'"), std::string::npos) << other;
  EXPECT_NE(other.find("'keras-mlp-mnist'"), std::string::npos) << other;
  const std::string version =
      ask(R"({"name": "keras-mlp-mnist", "version": 2})").value("error", "");
  EXPECT_NE(version.find("version 3"), std::string::npos) << version;

  // In init(), a name that is not served stops the endpoint with a message naming it.
  try {
    ScriptScorer::start(
        options("from azureml.core import Model\ndef init():\n    Model.get_model_path('nope')\n"
                "def run(d):\n    pass\n"));
    FAIL() << "started";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'nope'"), std::string::npos) << e.what();
  }
}

// The seed's score.py as published (how-to-use-azureml/ml-frameworks/keras/
// train-hyperparameter-tune-deploy-with-keras), with real Keras 3 (JAX) from the venv of
// scripts/install-keras.sh, scoring a tiny MLP that Keras itself saved as model.json + model.h5.
TEST_F(ScriptScorerTest, TheSeedsScorePyWithRealKeras) {
  const fs::path python = fs::path(kSource) / ".venv-keras" / "bin" / "python";
  if (!fs::exists(python))
    GTEST_SKIP() << python << " is missing (bash scripts/install-keras.sh makes it)";
  const char* seed_score_py = R"PY(import json
import numpy as np
import os
from keras.models import model_from_json

from azureml.core.model import Model


def init():
    global model

    model_root = Model.get_model_path('keras-mlp-mnist')
    # load json and create model
    json_file = open(os.path.join(model_root, 'model.json'), 'r')
    model_json = json_file.read()
    json_file.close()
    model = model_from_json(model_json)
    # load weights into new model
    model.load_weights(os.path.join(model_root, "model.h5"))
    model.compile(loss='categorical_crossentropy', optimizer='rmsprop', metrics=['accuracy'])


def run(raw_data):
    data = np.array(json.loads(raw_data)['data'])
    # make prediction
    y_hat = np.argmax(model.predict(data), axis=1)
    return y_hat.tolist()
)PY";
  // Keras builds, saves and scores the model; its classes are what the endpoint must answer.
  std::ofstream(dir_ / "make_model.py") << R"PY(import json, os, sys
import h5py, numpy as np, keras
from keras.src.legacy.saving import legacy_h5_format
out = sys.argv[1]
keras.utils.set_random_seed(7)
model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
with open(os.path.join(out, "model.json"), "w") as f:
    f.write(model.to_json())
with h5py.File(os.path.join(out, "model.h5"), "w") as f:
    legacy_h5_format.save_weights_to_hdf5_group(f, model)
rows = np.random.default_rng(3).random((5, 784)).round(3)
probs = model.predict(rows, verbose=0)
json.dump({"data": rows.tolist(), "classes": np.argmax(probs, axis=1).tolist()},
          open(os.path.join(out, "..", "sample.json"), "w"))
)PY";
  const std::string make = "KERAS_BACKEND=jax " + python.string() + " " +
                           (dir_ / "make_model.py").string() + " " + (dir_ / "model").string() +
                           " >> " + log_path_.string() + " 2>&1";
  ASSERT_EQ(std::system(make.c_str()), 0) << log_text();
  const json sample = json::parse(std::ifstream(dir_ / "sample.json"));

  ScriptOptions o = options(seed_score_py);
  o.python = python.string();
  o.env["KERAS_BACKEND"] = "jax";
  auto scorer = ScriptScorer::start(o);
  const ScriptReply r = scorer->run(json{{"data", sample.at("data")}}.dump(), 60);
  ASSERT_EQ(r.status, 200) << r.body << log_text();
  EXPECT_EQ(json::parse(r.body), sample.at("classes"));
  EXPECT_EQ(r.content_type, "application/json");
}

TEST_F(ScriptScorerTest, StoppingDoesNotWaitForARestartsInit) {
  // Regression: the destructor joined the supervisor while it waited (up to init_timeout_s) for
  // a restarted worker's init().
  const fs::path marker = dir_ / "slow-init";
  ScriptOptions o =
      options("import os, time\ndef init():\n    if os.path.exists('" + marker.string() +
              "'):\n        time.sleep(60)\ndef run(d):\n    pass\n");
  o.init_timeout_s = 120;
  auto scorer = ScriptScorer::start(o);
  std::ofstream(marker) << "x";
  const int pid = scorer->worker_pids().at(0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(wait_until([&] { return dead_or_zombie(pid); }, 10));
  EXPECT_EQ(scorer->run("{}", 0.5).status, 503);  // found dead; the restart's init() is slow
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  scorer.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// What frames the HTTP answer is the endpoint's, never the script's: a Content-Length,
// Transfer-Encoding or Connection a response object carries would be sent beside the server's
// own (two lengths, or a chunked announcement over a plain body: the client reads the wrong
// bytes), and a status outside 200..599 would be written as an invalid status line.
TEST_F(ScriptScorerTest, AReplysFramingHeadersAndInvalidStatusNeverReachTheWire) {
  auto scorer = ScriptScorer::start(options(R"PY(
import json
from azureml.contrib.services.aml_response import AMLResponse
def init():
    pass
def run(raw_data):
    req = json.loads(raw_data)
    if 'status' in req:
        return AMLResponse('x', req['status'])
    return AMLResponse('hello', 200, {'Content-Length': '999', 'Transfer-Encoding': 'chunked',
                                      'connection': 'keep-alive', 'Keep-Alive': 'max=1',
                                      'X-Kept': 'yes'})
)PY"));
  ScriptReply r = scorer->run("{}", 10);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(header(r, "X-Kept"), "yes");
  for (const auto& [k, v] : r.headers) {
    std::string lower = k;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char* framing : {"content-length", "transfer-encoding", "connection", "keep-alive"})
      EXPECT_NE(lower, framing) << k << ": " << v;
  }
  for (const int bad : {0, 99, 101, 600, 1000}) {
    r = scorer->run(R"({"status": )" + std::to_string(bad) + "}", 10);
    EXPECT_EQ(r.status, 500) << bad;
    EXPECT_EQ(error_of(r).at("kind"), "internal") << bad;
    EXPECT_NE(error_of(r).at("message").get<std::string>().find(std::to_string(bad)),
              std::string::npos);
  }
  r = scorer->run(R"({"status": 599})", 10);
  EXPECT_EQ(r.status, 599);
}

// HTTP lets a request header carry any bytes: one that is not UTF-8 reaches run()'s
// request_headers with U+FFFD in their place; it was a JSON exception, answered 500.
TEST_F(ScriptScorerTest, ARequestHeaderThatIsNotUtf8ReachesRunReplaced) {
  auto scorer = ScriptScorer::start(options(R"PY(
def init():
    pass
def run(raw_data, request_headers):
    return request_headers.get('X-Odd')
)PY"));
  const ScriptReply r = scorer->run("{}", 10, {{"X-Odd", "a\xff\xfe"}, {"X-Fine", "b"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), "a\xEF\xBF\xBD\xEF\xBF\xBD");
}
