"""Errors of the Glia SDK: one exception class per error kind of the CLI (docs/errors.md).

Every SDK call runs one ``glia ... -o json`` command; when it fails, its exit code names the kind
and its one-line message (``glia: error: ...`` on stderr, without that prefix) becomes the
exception's message. Branch on the class (or ``.kind``), not on the text.
"""

__all__ = ["GliaError", "InvalidArgumentError", "NotFoundError", "ConflictError",
           "PermissionDeniedError", "UnauthenticatedError", "UnavailableError", "NoSpaceError",
           "CorruptError", "InternalError", "RunFailedError", "error_for_exit_code"]


class GliaError(Exception):
    """An error reported by Glia. ``kind`` is the name of docs/errors.md (``not_found``, ...),
    ``exit_code`` the CLI's exit code (None when the error did not come from the CLI)."""

    kind = "internal"
    default_exit_code = 1

    def __init__(self, message, exit_code=None, command=None):
        super().__init__(message)
        self.message = message
        self.exit_code = self.default_exit_code if exit_code is None else exit_code
        self.command = command


class InvalidArgumentError(GliaError, ValueError):
    """Bad input: a file, flag, YAML key or request field (exit code 2)."""
    kind = "invalid_argument"
    default_exit_code = 2


class NotFoundError(GliaError, LookupError):
    """A named thing (run, dataset, model, version, file, workspace, ...) does not exist (3)."""
    kind = "not_found"
    default_exit_code = 3


class ConflictError(GliaError):
    """It exists already, or its state does not allow this now (4)."""
    kind = "conflict"
    default_exit_code = 4


class PermissionDeniedError(GliaError, PermissionError):
    """The OS or the workspace refused (5)."""
    kind = "permission_denied"
    default_exit_code = 5


class UnauthenticatedError(GliaError):
    """No token, or a token that is not valid (6)."""
    kind = "unauthenticated"
    default_exit_code = 6


class UnavailableError(GliaError):
    """Busy or not reachable now; trying again later may work (7)."""
    kind = "unavailable"
    default_exit_code = 7


class NoSpaceError(GliaError):
    """A disk or quota is full (8)."""
    kind = "no_space"
    default_exit_code = 8


class CorruptError(GliaError):
    """Stored data is damaged (9)."""
    kind = "corrupt"
    default_exit_code = 9


class InternalError(GliaError):
    """A bug or a broken invariant, or any exit code outside the table (1)."""
    kind = "internal"
    default_exit_code = 1


class RunFailedError(GliaError):
    """``run.wait_for_completion(raise_on_error=True)`` on a run that ended Failed (Azure's
    ActivityFailedException). ``run`` is the run, ``details`` its ``get_details()``."""
    kind = "run_failed"
    default_exit_code = None

    def __init__(self, message, run=None, details=None):
        super().__init__(message)
        self.exit_code = None
        self.run = run
        self.details = details


# Each kind's class by its exit code (docs/errors.md), from the classes' own codes.
_BY_EXIT_CODE = {c.default_exit_code: c for c in (
    InternalError, InvalidArgumentError, NotFoundError, ConflictError, PermissionDeniedError,
    UnauthenticatedError, UnavailableError, NoSpaceError, CorruptError)}


def error_for_exit_code(exit_code, message, command=None):
    """The GliaError subclass instance for a CLI exit code (InternalError for an unknown one)."""
    cls = _BY_EXIT_CODE.get(exit_code, InternalError)
    return cls(message, exit_code=exit_code, command=command)
