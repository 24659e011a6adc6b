"""The one transport of the SDK: the ``glia`` command line, run as a subprocess.

Every SDK operation is one ``glia [-w ROOT] ... -o json`` command whose JSON it parses, so the
SDK holds no second copy of the store's logic: a folder workspace goes through the CLI's own
store, a server workspace through a *connected folder* whose CLI talks to the server's API
(docs/python-sdk.md). A server token is passed to each command in ``$GLIA_TOKEN`` only (never
on a command line, never on disk). A failed command raises the GliaError subclass of its exit
code with the CLI's one-line message.
"""

import json as _json
import os
import shutil
import subprocess
import sys

from .errors import GliaError, error_for_exit_code

__all__ = ["Cli", "find_binary"]

_ERROR_PREFIX = "glia: error: "
_binary = None
_env_binary = None  # (GLIA_BIN as given, its absolute path)


def find_binary():
    """The ``glia`` executable: ``$GLIA_BIN``, else ``glia`` on ``PATH``, else the build tree's
    ``bin/glia`` next to this package (``<build>/share/glia/python/glia/`` ->
    ``<build>/bin/glia``). GliaError saying how to give it when there is none."""
    global _binary
    global _env_binary
    env = os.environ.get("GLIA_BIN")
    if env:
        # A relative GLIA_BIN is read against the folder of the first call, so a notebook that
        # changes folder afterwards still finds it.
        if _env_binary is None or _env_binary[0] != env:
            full = os.path.abspath(env)
            if not (os.path.isfile(full) and os.access(full, os.X_OK)):
                raise GliaError("GLIA_BIN=%s is not an executable file" % env)
            _env_binary = (env, full)
        return _env_binary[1]
    if _binary is not None:
        return _binary
    found = shutil.which("glia")
    if found is None:
        here = os.path.dirname(os.path.abspath(__file__))
        candidate = os.path.normpath(os.path.join(here, "..", "..", "..", "..", "bin", "glia"))
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            found = candidate
    if found is None:
        raise GliaError("the glia command was not found: put it on PATH or set GLIA_BIN to its "
                        "path (e.g. GLIA_BIN=build/bin/glia)")
    _binary = os.path.abspath(found)
    return _binary


def _error_line(stderr, code):
    """The CLI's one-line message (the last 'glia: error:' line, else the last line)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith(_ERROR_PREFIX):
            return line[len(_ERROR_PREFIX):]
    if lines:
        return lines[-1]
    return "glia exited with code %d and printed no message" % code


class Cli(object):
    """Runs ``glia`` commands on one workspace: ``root`` (passed as ``-w ROOT``; None: the CLI
    finds it) with ``token`` (in ``$GLIA_TOKEN``; None: the environment's)."""

    def __init__(self, root=None, token=None, binary=None):
        self.root = root
        self._token = token
        self._binary = binary

    @property
    def binary(self):
        return self._binary or find_binary()

    def argv(self, args):
        argv = [self.binary]
        if self.root is not None:
            argv += ["-w", self.root]
        return argv + [str(a) for a in args]

    def env(self):
        """The environment of the commands (``$GLIA_TOKEN`` set when this Cli has a token)."""
        env = dict(os.environ)
        if self._token:
            env["GLIA_TOKEN"] = self._token
        return env

    def _check(self, argv, proc):
        if proc.returncode != 0:
            stderr = proc.stderr if isinstance(proc.stderr, str) else (proc.stderr or b"").decode(
                "utf-8", "replace")
            raise error_for_exit_code(proc.returncode, _error_line(stderr, proc.returncode),
                                      command=argv)

    def run(self, args, input=None, cwd=None):
        """Runs ``glia ARGS`` and returns its stdout (text). GliaError on a non-zero exit."""
        argv = self.argv(args)
        try:
            proc = subprocess.run(argv, input=input, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=self.env(), cwd=cwd,
                                  universal_newlines=True)
        except OSError as e:
            raise GliaError("cannot run %s: %s" % (argv[0], e.strerror or e)) from None
        self._check(argv, proc)
        return proc.stdout

    def json(self, args, input=None, cwd=None):
        """Runs ``glia ARGS -o json`` and returns the parsed JSON output."""
        text = self.run(list(args) + ["-o", "json"], input=input, cwd=cwd)
        try:
            return _json.loads(text)
        except ValueError as e:
            raise GliaError("glia %s -o json printed text that is not JSON (%s): %r"
                            % (" ".join(str(a) for a in args), e, text[:200])) from None

    def stream(self, args, out=None, cwd=None):
        """Runs ``glia ARGS`` copying its output (stdout and stderr) to ``out`` (default sys.stdout; a file-like
        object with write(), or False to discard it) as it comes, and returns its exit code
        (``job stream`` returns the job's own outcome). A non-zero exit whose last line is a
        ``glia: error:`` line raises the GliaError subclass instead."""
        if out is None:
            out = sys.stdout
        argv = self.argv(args)
        try:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    env=self.env(), cwd=cwd)
        except OSError as e:
            raise GliaError("cannot run %s: %s" % (argv[0], e.strerror or e)) from None
        error = None
        try:
            for raw in iter(proc.stdout.readline, b""):
                line = raw.decode("utf-8", "replace")
                # The CLI's own error is its last line: an earlier one that looks like it is
                # output the command copies (a job's log), not the command failing.
                if line.startswith(_ERROR_PREFIX):
                    error = line.rstrip("\n")
                elif line.strip():
                    error = None
                if out is not False:
                    out.write(line)
                    if hasattr(out, "flush"):
                        out.flush()
        except BaseException:
            proc.terminate()
            proc.wait()
            raise
        finally:
            proc.stdout.close()
        code = proc.wait()
        if code != 0 and error is not None:
            raise error_for_exit_code(code, _error_line(error, code), command=argv)
        return code
