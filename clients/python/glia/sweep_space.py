"""The search of a sweep, as Azure ML SDK v1's HyperDrive writes it: parameter expressions
(``choice(25, 50)``, ``loguniform(-6, -1)``, ...), the sampling of a search space
(``RandomParameterSampling({'--batch-size': choice(25, 50)})``, grid, Bayesian), the
early-termination policies (``BanditPolicy``, ...) and ``PrimaryMetricGoal``; each as the
part of a CLI v2 sweep job it becomes (docs/sweeps.md). ``glia.sweep`` (HyperDriveConfig,
HyperDriveRun) puts them together and re-exports every public name here.

Standard library only.
"""

import enum
import re
import shlex

__all__ = [
    "PrimaryMetricGoal",
    "HyperParameterSampling", "RandomParameterSampling", "GridParameterSampling",
    "BayesianParameterSampling",
    "EarlyTerminationPolicy", "BanditPolicy", "MedianStoppingPolicy",
    "TruncationSelectionPolicy", "NoTerminationPolicy",
    "choice", "randint", "uniform", "quniform", "loguniform", "qloguniform", "normal",
    "qnormal", "lognormal", "qlognormal",
]


def _unavailable(call, why):
    return NotImplementedError("%s is not available in Glia: %s" % (call, why))


# -- parameter expressions (Azure's return values: [name, [arguments]]) ------------------------

def _number(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("%s must be a number, got %r" % (what, value))
    return value


def choice(*options):
    """One of the given values: ``choice(25, 50, 100)``, ``choice([25, 50, 100])`` or
    ``choice(range(1, 5))``. Values are numbers, strings or booleans."""
    if len(options) == 1 and isinstance(options[0], (list, tuple, range)):
        options = options[0]
    values = list(options)
    if not values:
        raise ValueError("choice() needs at least one value")
    for v in values:
        if not isinstance(v, (str, int, float, bool)):
            raise TypeError("choice(): values must be numbers, strings or booleans, got %r" % (v,))
    return ["choice", [values]]


def randint(upper):
    """An integer in [0, upper)."""
    if isinstance(upper, bool) or not isinstance(upper, int):
        raise TypeError("randint(upper): upper must be an int, got %r" % (upper,))
    return ["randint", [upper]]


def _two(name, a, b, names):
    return [name, [_number(a, "%s(%s)" % (name, names[0])),
                   _number(b, "%s(%s)" % (name, names[1]))]]


def _three(name, a, b, q, names):
    return [name, [_number(a, "%s(%s)" % (name, names[0])), _number(b, "%s(%s)" % (name, names[1])),
                   _number(q, "%s(q)" % name)]]


def uniform(min_value, max_value):
    """Uniform in [min_value, max_value]."""
    return _two("uniform", min_value, max_value, ("min_value", "max_value"))


def quniform(min_value, max_value, q):
    """round(uniform(min_value, max_value) / q) * q."""
    return _three("quniform", min_value, max_value, q, ("min_value", "max_value"))


def loguniform(min_value, max_value):
    """exp(uniform(min_value, max_value)): the bounds are natural-log exponents."""
    return _two("loguniform", min_value, max_value, ("min_value", "max_value"))


def qloguniform(min_value, max_value, q):
    """round(exp(uniform(min_value, max_value)) / q) * q."""
    return _three("qloguniform", min_value, max_value, q, ("min_value", "max_value"))


def normal(mu, sigma):
    """Normal with mean mu and standard deviation sigma."""
    return _two("normal", mu, sigma, ("mu", "sigma"))


def qnormal(mu, sigma, q):
    """round(normal(mu, sigma) / q) * q."""
    return _three("qnormal", mu, sigma, q, ("mu", "sigma"))


def lognormal(mu, sigma):
    """exp(normal(mu, sigma))."""
    return _two("lognormal", mu, sigma, ("mu", "sigma"))


def qlognormal(mu, sigma, q):
    """round(exp(normal(mu, sigma)) / q) * q."""
    return _three("qlognormal", mu, sigma, q, ("mu", "sigma"))


_EXPRESSION_KEYS = {
    "choice": ("values",), "randint": ("upper",),
    "uniform": ("min_value", "max_value"), "loguniform": ("min_value", "max_value"),
    "quniform": ("min_value", "max_value", "q"), "qloguniform": ("min_value", "max_value", "q"),
    "normal": ("mu", "sigma"), "lognormal": ("mu", "sigma"),
    "qnormal": ("mu", "sigma", "q"), "qlognormal": ("mu", "sigma", "q"),
}


def _search_space_entry(key, expression):
    """A parameter expression ([name, [args]]) as a sweep file's search-space entry."""
    if (not isinstance(expression, (list, tuple)) or len(expression) != 2
            or expression[0] not in _EXPRESSION_KEYS or not isinstance(expression[1], (list, tuple))
            or len(expression[1]) != len(_EXPRESSION_KEYS[expression[0]])):
        raise TypeError("parameter %r: expected a parameter expression (choice(...), uniform(...), "
                        "...), got %r" % (key, expression))
    kind, args = expression
    entry = {"type": kind}
    entry.update(zip(_EXPRESSION_KEYS[kind], (list(a) if isinstance(a, (list, tuple)) else a
                                              for a in args)))
    return entry


# -- sampling --------------------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _parameter_name(key):
    """'--batch-size' -> ('--batch-size', 'batch_size'); 'lr' -> ('--lr', 'lr')."""
    if not isinstance(key, str) or not key.lstrip("-"):
        raise ValueError("hyperparameter name %r: expected a script argument such as '--batch-size'"
                         % (key,))
    flag = key if key.startswith("-") else "--" + key
    name = re.sub(r"[^A-Za-z0-9_]", "_", key.lstrip("-"))
    if not _NAME.match(name):
        raise ValueError("hyperparameter name %r: it must start with a letter or '_' after its "
                         "dashes (it names the parameter %r in the sweep)" % (key, name))
    return flag, name


class HyperParameterSampling(object):
    """A search space (``{'--name': expression}``) and how to sample it."""

    _algorithm = None
    _allowed = None  # expression kinds the algorithm takes (None: all)

    def __init__(self, parameter_space, properties=None):
        if not isinstance(parameter_space, dict) or not parameter_space:
            raise TypeError("%s: parameter_space must be a non-empty dict of parameter name -> "
                            "expression" % type(self).__name__)
        self._parameter_space = dict(parameter_space)
        self._properties = dict(properties or {})
        self._parameters = []  # (azure key, flag, name, entry)
        names = {}
        for key, expression in self._parameter_space.items():
            flag, name = _parameter_name(key)
            if name in names:
                raise ValueError("hyperparameters %r and %r both name the parameter %r"
                                 % (names[name], key, name))
            names[name] = key
            entry = _search_space_entry(key, expression)
            for value in entry.get("values") or []:
                if isinstance(value, str) and shlex.quote(value) != value:
                    raise ValueError(
                        "%s: parameter %r: choice value %r would not reach the script as one "
                        "word: Glia puts a trial's values into its command unquoted "
                        "(docs/sweeps.md); use values without spaces or shell characters"
                        % (type(self).__name__, key, value))
            if self._allowed is not None and entry["type"] not in self._allowed:
                raise ValueError("%s: parameter %r is %s(); this sampling takes %s only"
                                 % (type(self).__name__, key, entry["type"],
                                    ", ".join(self._allowed)))
            self._parameters.append((key, flag, name, entry))

    @property
    def parameter_space(self):
        """The search space as given."""
        return dict(self._parameter_space)

    def _glia_search_space(self):
        return {name: entry for _, _, name, entry in self._parameters}

    def _glia_arguments(self):
        """The words appended to the trial's command (a shell command line: the flag quoted)."""
        words = []
        for _, flag, name, _ in self._parameters:
            words += [shlex.quote(flag), "${{search_space.%s}}" % name]
        return words

    def _glia_names(self):
        """Glia parameter name -> the name as given ('batch_size' -> '--batch-size')."""
        return {name: key for key, _, name, _ in self._parameters}

    def _glia_sampling(self):
        seed = self._properties.get("seed")
        unknown = sorted(set(self._properties) - self._glia_property_keys())
        if unknown:
            raise _unavailable("%s(properties={%r: ...})" % (type(self).__name__, unknown[0]),
                               "the properties taken are %s"
                               % (", ".join(sorted(self._glia_property_keys())) or "none"))
        if not self._properties:
            return self._algorithm
        out = {"type": self._algorithm}
        if seed is not None:
            out["seed"] = seed
        if "rule" in self._properties:
            out["rule"] = self._properties["rule"]
        return out

    def _glia_property_keys(self):
        return {"seed"}


class RandomParameterSampling(HyperParameterSampling):
    """Random sampling; ``properties`` may give ``seed`` and ``rule`` (``random`` or ``sobol``)."""

    _algorithm = "random"

    def _glia_property_keys(self):
        return {"seed", "rule"}


class GridParameterSampling(HyperParameterSampling):
    """Every combination of the choices (``choice`` only)."""

    _algorithm = "grid"
    _allowed = ("choice",)

    def _glia_property_keys(self):
        return set()


class BayesianParameterSampling(HyperParameterSampling):
    """TPE over ``choice``, ``uniform`` and ``quniform`` parameters; no early termination."""

    _algorithm = "bayesian"
    _allowed = ("choice", "uniform", "quniform")


# -- early termination -----------------------------------------------------------------------

class EarlyTerminationPolicy(object):
    """Base of the early-termination policies."""

    def _glia_policy(self):
        raise NotImplementedError


class BanditPolicy(EarlyTerminationPolicy):
    """Stops a trial whose best value is outside the slack of the best trial's."""

    def __init__(self, evaluation_interval=1, slack_factor=None, slack_amount=None,
                 delay_evaluation=0):
        self.evaluation_interval = evaluation_interval
        self.slack_factor = slack_factor
        self.slack_amount = slack_amount
        self.delay_evaluation = delay_evaluation

    def _glia_policy(self):
        p = {"type": "bandit", "evaluation_interval": self.evaluation_interval,
             "delay_evaluation": self.delay_evaluation}
        if self.slack_factor is not None:
            p["slack_factor"] = self.slack_factor
        if self.slack_amount is not None:
            p["slack_amount"] = self.slack_amount
        return p


class MedianStoppingPolicy(EarlyTerminationPolicy):
    """Stops a trial whose best value is worse than the median of the running averages."""

    def __init__(self, evaluation_interval=1, delay_evaluation=5):
        self.evaluation_interval = evaluation_interval
        self.delay_evaluation = delay_evaluation

    def _glia_policy(self):
        return {"type": "median_stopping", "evaluation_interval": self.evaluation_interval,
                "delay_evaluation": self.delay_evaluation}


class TruncationSelectionPolicy(EarlyTerminationPolicy):
    """Stops the lowest ``truncation_percentage`` % of the trials at each interval."""

    def __init__(self, truncation_percentage, evaluation_interval=1, delay_evaluation=0,
                 exclude_finished_jobs=False):
        self.truncation_percentage = truncation_percentage
        self.evaluation_interval = evaluation_interval
        self.delay_evaluation = delay_evaluation
        self.exclude_finished_jobs = exclude_finished_jobs

    def _glia_policy(self):
        return {"type": "truncation_selection", "truncation_percentage": self.truncation_percentage,
                "evaluation_interval": self.evaluation_interval,
                "delay_evaluation": self.delay_evaluation,
                "exclude_finished_jobs": self.exclude_finished_jobs}


class NoTerminationPolicy(EarlyTerminationPolicy):
    """No early termination."""

    def _glia_policy(self):
        return None


class PrimaryMetricGoal(enum.Enum):
    """Whether the primary metric is to be maximized or minimized."""

    MAXIMIZE = "MAXIMIZE"
    MINIMIZE = "MINIMIZE"


def _goal(goal):
    if isinstance(goal, PrimaryMetricGoal):
        return goal.value.lower()
    if isinstance(goal, str) and goal.upper() in ("MAXIMIZE", "MINIMIZE"):
        return goal.lower()
    # Another enum with the same values (azureml's, when it is a different class).
    value = getattr(goal, "value", None)
    if isinstance(value, str) and value.upper() in ("MAXIMIZE", "MINIMIZE"):
        return value.lower()
    raise ValueError("primary_metric_goal: expected PrimaryMetricGoal.MAXIMIZE or "
                     "PrimaryMetricGoal.MINIMIZE, got %r" % (goal,))
