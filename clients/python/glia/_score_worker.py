"""One scoring worker of a Glia endpoint that scores with a Python script (docs/endpoints.md,
"Scoring with a Python script"): ``python -m glia._score_worker --fd N --parent PID --script S``.

The endpoint process (glia::serving::ScriptScorer) starts it with a socket on descriptor N; the
script's print() output and tracebacks go to stdout/stderr, which are the endpoint's log and never
carry the protocol. The worker loads the script as Azure ML's inference server does (module
``entry_module`` from the file), checks ``init()`` and ``run()``, calls ``init()`` once and then
answers one request at a time: ``run(raw_data)`` with the body as a str, its return value encoded
as the inference server encodes it.

Messages both ways: a 4-byte big-endian length L, then L bytes: a 4-byte big-endian length H, H
bytes of a JSON header, and the body (the rest). Standard library only.
"""

import argparse
import importlib.util
import inspect
import json
import os
import signal
import struct
import sys
import threading
import time
import traceback

_U32 = struct.Struct(">I")


class _Closed(Exception):
    """The endpoint process closed its end: stop."""


def _read_exact(fd, n):
    parts = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise _Closed()
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def read_message(fd):
    """(header dict, body bytes) of the next message; _Closed at the end."""
    (length,) = _U32.unpack(_read_exact(fd, 4))
    payload = _read_exact(fd, length)
    (header_length,) = _U32.unpack_from(payload, 0)
    header = json.loads(payload[4:4 + header_length].decode("utf-8"))
    return header, payload[4 + header_length:]


def write_message(fd, header, body=b""):
    head = json.dumps(header).encode("utf-8")
    data = _U32.pack(4 + len(head) + len(body)) + _U32.pack(len(head)) + head + body
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def log(index, text):
    """One entry in the endpoint's log (this process's stderr)."""
    sys.stderr.write("glia endpoint: scoring worker %d (pid %d): %s" % (index, os.getpid(), text))
    if not text.endswith("\n"):
        sys.stderr.write("\n")
    sys.stderr.flush()


def script_traceback(exc):
    """The traceback of ``exc`` from the script's frames on (this module's are left out)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def last_line(exc):
    """The last line of the exception's traceback: ``KeyError: 'data'``."""
    lines = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()
    return lines[-1] if lines else type(exc).__name__


class ScriptError(Exception):
    """The script cannot be served (no init/run, a run() the server cannot call)."""


class UserScript:
    """The script loaded and checked as azureml-inference-server-http's UserScript does."""

    def __init__(self, path):
        self.path = path
        spec = importlib.util.spec_from_file_location("entry_module", path)
        if spec is None:
            raise ScriptError("%s cannot be loaded as a Python module" % path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name in ("init", "run"):
            if not callable(getattr(module, name, None)):
                raise ScriptError("the script %s does not have a %s() function defined" %
                                  (path, name))
        # Azure's driver modules forward run() to the real script's; call that one directly.
        driver = getattr(module, "driver_module", None)
        self.init = module.init
        self.run = driver.run if driver is not None and callable(getattr(driver, "run", None)) \
            else module.run
        params = list(inspect.signature(self.run).parameters.values())
        if any(p.kind not in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
            raise ScriptError("run() of %s cannot accept positional-only arguments, *args or "
                              "**kwargs" % path)
        self.wants_headers = any(p.name == "request_headers" for p in params)
        data_params = [p for p in params if p.name != "request_headers"]
        if not data_params:
            raise ScriptError("run() of %s needs to accept an argument for the input data" % path)
        self.data_param = data_params[0].name
        if "inference_schema" in sys.modules:  # the script imported it: is run() decorated?
            try:
                from inference_schema.schema_util import is_schema_decorated
                decorated = is_schema_decorated(self.run)
            except Exception:  # noqa: BLE001 - another version: nothing to check against
                decorated = False
            if decorated:
                raise ScriptError("run() of %s is decorated with @input_schema "
                                  "(inference-schema), which Glia endpoints do not support: "
                                  "run() gets the request body as a str" % path)
        if getattr(self.run, "_glia_rawhttp", False):
            raise ScriptError("run() of %s is decorated with @rawhttp, which Glia endpoints do "
                              "not support: run() gets the request body as a str" % path)

    def call(self, raw_data, headers):
        kwargs = {self.data_param: raw_data}
        if self.wants_headers:
            kwargs["request_headers"] = headers
        return self.run(**kwargs)


def encode_reply(result):
    """(header, body) for what run() returned, as the inference server answers it: a response
    object (AMLResponse, a Flask Response) as it is; anything else JSON-encoded with json.dumps
    (a str becomes a JSON string; None becomes {}), 200, application/json."""
    if hasattr(result, "status_code") and hasattr(result, "get_data"):
        status = int(result.status_code)
        headers = [[str(k), str(v)] for k, v in result.headers.items()]
        content_type = None
        kept = []
        for k, v in headers:
            if k.lower() == "content-type":
                content_type = v
            else:
                kept.append([k, v])
        if status >= 500:  # as Azure's server marks them
            kept = [[k, v] for k, v in kept if k.lower() != "x-ms-run-function-failed"]
            kept.append(["x-ms-run-function-failed", "True"])
        body = result.get_data()
        if isinstance(body, str):
            body = body.encode("utf-8")
        return {"status": status, "content_type": content_type or "text/html; charset=utf-8",
                "headers": kept}, bytes(body)
    body = json.dumps({} if result is None else result)
    return {"status": 200, "content_type": "application/json", "headers": []}, \
        body.encode("utf-8")


def error_reply(status, kind, message, headers=()):
    return {"status": status, "error_kind": kind, "message": message,
            "headers": [list(h) for h in headers]}


def serve(fd, script, index):
    """Answers requests until the endpoint process closes the socket."""
    while True:
        try:
            header, body = read_message(fd)
        except _Closed:
            return
        request_id = header.get("id", 0)
        try:
            raw_data = body.decode("utf-8")
        except UnicodeDecodeError as e:
            write_message(fd, error_reply(400, "invalid_argument",
                                          "the request body cannot be decoded as UTF-8: %s" % e))
            continue
        started = time.perf_counter()
        try:
            result = script.call(raw_data, header.get("headers") or {})
        except Exception as e:  # the script's own failure: logged, the client told where to look
            log(index, "run() raised an exception (request %s):\n%s"
                % (request_id, script_traceback(e)))
            write_message(fd, error_reply(
                500, "internal",
                "run() of the scoring script raised an exception (request %s); its traceback "
                "is in the endpoint's log" % request_id,
                [("x-ms-run-function-failed", "True")]))
            continue
        elapsed_ms = (time.perf_counter() - started) * 1e3
        try:
            reply, out = encode_reply(result)
        except Exception as e:  # noqa: BLE001 - json.dumps refusing the value
            log(index, "run() returned a value that cannot be answered (request %s): %s"
                % (request_id, last_line(e)))
            write_message(fd, error_reply(
                500, "internal",
                "run() of the scoring script returned a value that is not JSON-serializable "
                "(request %s): %s" % (request_id, last_line(e)),
                [("x-ms-run-function-failed", "True")]))
            continue
        reply["headers"].append(["x-ms-run-fn-exec-ms", "%.3f" % elapsed_ms])
        write_message(fd, reply, out)


def watch_parent(parent):
    """Exits when the endpoint process is gone (killed with SIGKILL, say), even while run() is
    busy: a worker never outlives its endpoint."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(3)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m glia._score_worker")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--script", required=True)
    parser.add_argument("--code-dir", required=True)
    parser.add_argument("--index", type=int, default=0)
    args = parser.parse_args(argv)

    # Ctrl-C in a terminal reaches the whole process group: the endpoint process stops its
    # workers itself, after the requests in flight are answered.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if os.getppid() != args.parent:
        return 3
    threading.Thread(target=watch_parent, args=(args.parent,), daemon=True,
                     name="glia-parent-watch").start()
    os.set_inheritable(args.fd, False)  # the script's own subprocesses do not get it
    if args.code_dir not in sys.path[:1]:
        sys.path.insert(0, args.code_dir)

    stage = "loading"
    try:
        script = UserScript(args.script)
        stage = "init()"
        script.init()
    except BaseException as e:  # noqa: BLE001 - whatever stops it, SystemExit included
        log(args.index, "%s of %s failed: %s" % (stage, args.script, e) if isinstance(
            e, ScriptError) else "%s of %s failed:\n%s" % (stage, args.script, script_traceback(e)))
        message = str(e) if isinstance(e, ScriptError) else last_line(e)
        try:
            write_message(args.fd, {"ready": False, "error": "%s of %s failed: %s" %
                                    (stage, args.script, message)})
        except OSError:
            pass
        return 1
    write_message(args.fd, {"ready": True, "pid": os.getpid()})
    sys.stdout.flush()
    try:
        serve(args.fd, script, args.index)
    except (BrokenPipeError, ConnectionResetError):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
