"""Probability distributions for the numeric inputs of a business case (METHOD.md §3).

Every numeric input may be uncertain. ``make_distribution`` turns an analyst's specification into a
``Distribution`` in its natural parameters, accepting a mean and standard deviation where analysts
think that way (a lognormal cost, a beta probability, a gamma count). ``Distribution.sample`` draws
independently with numpy's Generator; ``sample_correlated`` draws several inputs together through
a Gaussian copula (correlated standard normals → normal CDF → each marginal's inverse CDF).

Kinds and the parameter names accepted (one set per specification):

    fixed       value
    normal      mean, sd
    lognormal   mean, sd (of the variable itself)         or meanlog, sdlog (of its logarithm)
    beta        alpha, beta                                or mean, sd
    gamma       shape, scale  or  shape, rate              or mean, sd
    uniform     min, max
    triangular  min, mode, max
    pert        min, mode, max, optional lambda (default 4; "lam" is accepted too)
    dirichlet   counts (non-negative, e.g. an observed transition row)  or alpha (positive)

PERT is a beta distribution on [min, max] with α = 1 + λ (mode − min)/(max − min) and
β = 1 + λ (max − mode)/(max − min); with λ = 4 its mean is (min + 4 mode + max)/6. A Dirichlet draw
is a probability vector; a zero count gives a component that is always 0.

scipy (``scipy.special``) is needed only for the inverse CDFs and the normal CDF, so it is
imported inside the functions that use it: plain sampling and importing this module stay fast.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
ParamValue = float | tuple[float, ...]

Kind = Literal[
    "fixed",
    "normal",
    "lognormal",
    "beta",
    "gamma",
    "uniform",
    "triangular",
    "pert",
    "dirichlet",
]
KINDS: tuple[str, ...] = get_args(Kind)

DEFAULT_PERT_LAMBDA = 4.0

# The accepted parameter sets of each kind, in the order they are named in error messages.
# A set's optional members (PERT's lambda) are listed separately.
_SPECS: dict[str, tuple[tuple[str, ...], ...]] = {
    "fixed": (("value",),),
    "normal": (("mean", "sd"),),
    "lognormal": (("mean", "sd"), ("meanlog", "sdlog")),
    "beta": (("alpha", "beta"), ("mean", "sd")),
    "gamma": (("shape", "scale"), ("shape", "rate"), ("mean", "sd")),
    "uniform": (("min", "max"),),
    "triangular": (("min", "mode", "max"),),
    "pert": (("min", "mode", "max"),),
    "dirichlet": (("counts",),),  # or ("alpha",): handled with the vector parameters below
}
_OPTIONAL: dict[str, tuple[str, ...]] = {"pert": ("lambda", "lam")}
_VECTOR_PARAMS = ("counts", "alpha")  # of dirichlet


class DistributionError(ValueError):
    """An impossible, incomplete or ambiguous distribution specification (one sentence).

    ``key`` and ``params`` name the message in the catalogues (``locale/*/errors.yaml``), so the
    case loader can show it in the user's language; the text is the English message. A
    :class:`Names` parameter is a list of words the loader joins with the language's "and"/"or".
    """

    def __init__(self, text: str, key: str | None = None, **params: object) -> None:
        super().__init__(text)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Names:
    """Words (or nested ``Names``) to be joined with "and" or "or"; ``optional`` names follow
    as "(and optionally …)". Only a structure: the words for "and" are the catalogues'."""

    words: tuple[str | Names, ...]
    last: Literal["and", "or"] = "and"
    optional: tuple[str, ...] = ()


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _join(names: Sequence[str], last: str = "and") -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {last} {names[-1]}"


def _options(kind: str) -> str:
    """The accepted parameter sets of a kind, as words: 'alpha and beta, or mean and sd'."""
    if kind == "dirichlet":
        return "counts, or alpha"
    sets = [_join(s) for s in _SPECS[kind]]
    text = ", ".join(sets[:-1]) + ", or " + sets[-1] if len(sets) > 1 else sets[0]
    if kind == "pert":
        text += " (and optionally lambda)"
    return text


def _option_names(kind: str) -> Names:
    """The accepted parameter sets of a kind, as a structure (see :func:`_options`)."""
    if kind == "dirichlet":
        return Names(("counts", "alpha"), "or")
    return Names(tuple(Names(s) for s in _SPECS[kind]), "or", _OPTIONAL.get(kind, ())[:1])


@dataclass(frozen=True)
class Distribution:
    """A distribution in its natural parameters (built and validated by ``make_distribution``).

    ``params`` per kind: fixed {value}; normal {mean, sd}; lognormal {meanlog, sdlog};
    beta {alpha, beta}; gamma {shape, scale}; uniform {min, max}; triangular {min, mode, max};
    pert {min, mode, max, lambda, alpha, beta}; dirichlet {alpha: tuple}.
    """

    kind: str
    params: Mapping[str, ParamValue]

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise DistributionError(
                f"unknown distribution {self.kind!r}: expected one of {', '.join(KINDS)}",
                "dist_unknown_kind",
                kind=repr(self.kind),
                kinds=", ".join(KINDS),
            )
        object.__setattr__(self, "params", dict(self.params))  # a private copy

    # -- parameters ---------------------------------------------------------------------------

    def _p(self, name: str) -> float:
        value = self.params[name]
        if isinstance(value, tuple):
            raise DistributionError(
                f"parameter {name} of a {self.kind} must be a single number",
                "dist_single_number",
                name=name,
                kind=self.kind,
            )
        return float(value)

    def _alpha_vector(self) -> FloatArray:
        value = self.params["alpha"]
        return np.asarray(value, dtype=np.float64).reshape(-1)

    # -- moments ------------------------------------------------------------------------------

    def mean(self) -> float | FloatArray:
        """The analytic mean (a vector for dirichlet)."""
        k = self.kind
        if k == "fixed":
            return self._p("value")
        if k == "normal":
            return self._p("mean")
        if k == "lognormal":
            return math.exp(self._p("meanlog") + self._p("sdlog") ** 2 / 2.0)
        if k == "beta":
            a, b = self._p("alpha"), self._p("beta")
            return a / (a + b)
        if k == "gamma":
            return self._p("shape") * self._p("scale")
        if k == "uniform":
            return (self._p("min") + self._p("max")) / 2.0
        if k == "triangular":
            return (self._p("min") + self._p("mode") + self._p("max")) / 3.0
        if k == "pert":
            a, b = self._p("alpha"), self._p("beta")
            lo, hi = self._p("min"), self._p("max")
            return lo + (hi - lo) * a / (a + b)
        alpha = self._alpha_vector()  # dirichlet
        mean: FloatArray = alpha / alpha.sum()
        return mean

    def sd(self) -> float | FloatArray:
        """The analytic standard deviation (a vector of the components' sds for dirichlet)."""
        k = self.kind
        if k == "fixed":
            return 0.0
        if k == "normal":
            return self._p("sd")
        if k == "lognormal":
            s2 = self._p("sdlog") ** 2
            return math.sqrt(math.expm1(s2)) * math.exp(self._p("meanlog") + s2 / 2.0)
        if k == "beta":
            return _beta_sd(self._p("alpha"), self._p("beta"))
        if k == "gamma":
            return math.sqrt(self._p("shape")) * self._p("scale")
        if k == "uniform":
            return (self._p("max") - self._p("min")) / math.sqrt(12.0)
        if k == "triangular":
            a, c, b = self._p("min"), self._p("mode"), self._p("max")
            return math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18.0)
        if k == "pert":
            width = self._p("max") - self._p("min")
            return width * _beta_sd(self._p("alpha"), self._p("beta"))
        alpha = self._alpha_vector()  # dirichlet
        a0 = alpha.sum()
        sd: FloatArray = np.sqrt(alpha * (a0 - alpha) / (a0 * a0 * (a0 + 1.0)))
        return sd

    # -- drawing ------------------------------------------------------------------------------

    def sample(self, n: int, rng: np.random.Generator) -> FloatArray:
        """n independent draws: shape [n], or [n, k] for a dirichlet over k components.

        A fixed value gives a constant array, so a Monte Carlo run whose inputs are all fixed
        reproduces the deterministic result exactly.
        """
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise DistributionError(
                f"the number of draws must be a non-negative integer, got {n}",
                "dist_draws",
                n=str(n),
            )
        k = self.kind
        if k == "fixed":
            return np.full(n, self._p("value"), dtype=np.float64)
        if k == "normal":
            return rng.normal(self._p("mean"), self._p("sd"), n)
        if k == "lognormal":
            return rng.lognormal(self._p("meanlog"), self._p("sdlog"), n)
        if k == "beta":
            return rng.beta(self._p("alpha"), self._p("beta"), n)
        if k == "gamma":
            return rng.gamma(self._p("shape"), self._p("scale"), n)
        if k == "uniform":
            return rng.uniform(self._p("min"), self._p("max"), n)
        if k == "triangular":
            return rng.triangular(self._p("min"), self._p("mode"), self._p("max"), n)
        if k == "pert":
            lo, hi = self._p("min"), self._p("max")
            x: FloatArray = lo + (hi - lo) * rng.beta(self._p("alpha"), self._p("beta"), n)
            return x
        alpha = self._alpha_vector()  # dirichlet; zero counts stay zero
        out = np.zeros((n, alpha.size), dtype=np.float64)
        positive = alpha > 0.0
        if positive.sum() == 1:
            out[:, positive] = 1.0
        else:
            out[:, positive] = rng.dirichlet(alpha[positive], n)
        return out

    def ppf(self, u: npt.ArrayLike) -> FloatArray:
        """The inverse CDF at probabilities u in [0, 1] (not defined for dirichlet)."""
        q = np.asarray(u, dtype=np.float64)
        if np.any(~((q >= 0.0) & (q <= 1.0))):
            raise DistributionError(
                "probabilities given to ppf must lie between 0 and 1", "dist_ppf_range"
            )
        k = self.kind
        if k == "dirichlet":
            raise DistributionError(
                "a dirichlet distribution has no inverse CDF: it is a vector of probabilities",
                "dist_no_ppf",
            )
        if k == "fixed":
            return np.full(q.shape, self._p("value"), dtype=np.float64)
        if k == "uniform":
            lo, hi = self._p("min"), self._p("max")
            x: FloatArray = lo + (hi - lo) * q
            return x
        if k == "triangular":
            return _triangular_ppf(q, self._p("min"), self._p("mode"), self._p("max"))
        special = _special()
        if k == "normal":
            return self._p("mean") + self._p("sd") * _float_array(special.ndtri(q))
        if k == "lognormal":
            z = _float_array(special.ndtri(q))
            x = np.exp(self._p("meanlog") + self._p("sdlog") * z)
            return x
        if k == "beta":
            return beta_ppf(self._p("alpha"), self._p("beta"), q)
        if k == "gamma":
            return self._p("scale") * _float_array(special.gammaincinv(self._p("shape"), q))
        lo, hi = self._p("min"), self._p("max")  # pert
        y = beta_ppf(self._p("alpha"), self._p("beta"), q)
        x = lo + (hi - lo) * y
        return x

    def interval(self, p_low: float = 0.05, p_high: float = 0.95) -> tuple[float, float]:
        """The p_low and p_high quantiles (by default the central 90 % interval)."""
        if not 0.0 <= p_low < p_high <= 1.0:
            raise DistributionError(
                f"an interval needs 0 <= p_low < p_high <= 1, got p_low {_fmt(p_low)} "
                f"and p_high {_fmt(p_high)}",
                "dist_interval",
                low=_fmt(p_low),
                high=_fmt(p_high),
            )
        lo, hi = self.ppf(np.array([p_low, p_high]))
        return float(lo), float(hi)


def _beta_sd(a: float, b: float) -> float:
    return math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1.0)))


def _triangular_ppf(q: FloatArray, a: float, c: float, b: float) -> FloatArray:
    width = b - a
    f_mode = (c - a) / width
    left = a + np.sqrt(q * width * (c - a))
    right = b - np.sqrt((1.0 - q) * width * (b - c))
    out: FloatArray = np.where(q < f_mode, left, right)
    return out


def _special() -> Any:
    """scipy.special, imported on first use (it is slow to import and only the ppfs need it)."""
    from scipy import special  # type: ignore[import-untyped,unused-ignore]

    return special


# -- a fast inverse CDF of the beta distribution ----------------------------------------------
#
# scipy's betaincinv solves for every probability anew (about 0.6 µs each): for a million
# correlated draws of a beta or PERT input that is most of a run. Instead, the quantile function
# is tabulated once per (α, β) on the normal-quantile scale: with t = Φ⁻¹(u) and
# g(t) = logit(F⁻¹(Φ(t))), g is smooth (close to linear when the beta is close to normal), so a
# cubic Hermite interpolant through exact nodes (values from betaincinv, slopes from the density)
# is accurate to ~1e-12, about the accuracy of betaincinv itself. The table checks itself at the
# midpoints of its cells, where a cubic Hermite interpolant's error is largest; if it misses
# _BETA_TOLERANCE there it is refined, and failing that (extreme shapes) betaincinv is used. The
# table covers |t| ≤ 8.3 (u from 5e-17 to 1 − 5e-17), less where F⁻¹ reaches 0 or 1 in floating
# point; probabilities outside it go to betaincinv.

_BETA_T = (-8.3, 8.3)
_BETA_NODES = (2048, 8192)
_BETA_TOLERANCE = 5e-11  # relative error in x at the cells' midpoints (scipy: ~1e-12)
_BETA_TABLES: dict[tuple[float, float], tuple[FloatArray, FloatArray, FloatArray] | None] = {}


def _beta_nodes(a: float, b: float, t: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """x = F⁻¹(Φ(t)), log x and log(1 − x) at t; the upper half through the mirrored
    distribution (1 − X ~ Beta(b, a)), so that 1 − x keeps its precision where x is near 1."""
    special = _special()
    upper = t > 0
    x = np.empty_like(t)
    y = np.empty_like(t)  # 1 − x
    x[~upper] = special.betaincinv(a, b, special.ndtr(t[~upper]))
    y[~upper] = 1.0 - x[~upper]
    y[upper] = special.betaincinv(b, a, special.ndtr(-t[upper]))
    x[upper] = 1.0 - y[upper]
    with np.errstate(divide="ignore", invalid="ignore"):
        return x, np.log(x), np.log(y)


def _beta_table(a: float, b: float) -> tuple[FloatArray, FloatArray, FloatArray] | None:
    """(t nodes, g, dg/dt) of an accurate table for (a, b) on a uniform grid, or None."""
    key = (a, b)
    if key in _BETA_TABLES:
        cached: tuple[FloatArray, FloatArray, FloatArray] | None = _BETA_TABLES[key]
        return cached
    special = _special()
    table = None
    for n in _BETA_NODES:
        t = np.linspace(_BETA_T[0], _BETA_T[1], n + 1)
        h = float(t[1] - t[0])
        _, lx, ly = _beta_nodes(a, b, t)
        g = lx - ly
        # dg/dt = φ(t) / (f(x) x (1 − x)), in logarithms: f(x) x (1 − x) = x^a (1 − x)^b / B(a, b)
        with np.errstate(over="ignore", invalid="ignore"):
            dg = np.exp(-0.5 * t * t - a * lx - b * ly + special.betaln(a, b))
        dg /= math.sqrt(2 * math.pi)
        # the nodes where x is strictly inside (0, 1) and the slope finite, around the middle
        ok = np.isfinite(g) & np.isfinite(dg)
        centre = n // 2
        if not ok[centre]:
            break
        bad_low = np.flatnonzero(~ok[:centre])
        bad_high = np.flatnonzero(~ok[centre:])
        first = int(bad_low[-1]) + 1 if bad_low.size else 0
        last = centre + int(bad_high[0]) - 1 if bad_high.size else n
        if last - first < 16:
            break
        t, g, dg = t[first : last + 1], g[first : last + 1], dg[first : last + 1]
        mid = t[:-1] + 0.5 * h
        exact = _beta_nodes(a, b, mid)[0]
        approx = _hermite(mid, t, g, dg)
        with np.errstate(divide="ignore", invalid="ignore"):
            err = np.abs(approx - exact) / exact
        if np.all(np.isfinite(err)) and float(err.max()) <= _BETA_TOLERANCE:
            table = (t, g, dg)
            break
    _BETA_TABLES[key] = table
    return table


def _hermite(t: FloatArray, nodes: FloatArray, g: FloatArray, dg: FloatArray) -> FloatArray:
    """The cubic Hermite interpolant of (g, dg) on the uniform grid ``nodes``, mapped back from
    the logit scale: x = 1 / (1 + e^(−g))."""
    t0 = float(nodes[0])
    h = float(nodes[1] - nodes[0])
    with np.errstate(invalid="ignore"):  # ±inf outside the table: replaced by the caller
        pos = np.clip((t - t0) / h, 0.0, g.shape[0] - 1.0)
    i = np.minimum(pos.astype(np.intp), g.shape[0] - 2)
    s = pos - i
    s2 = s * s
    s3 = s2 * s
    g0, g1 = g[i], g[i + 1]
    m0, m1 = dg[i] * h, dg[i + 1] * h
    y = (2 * s3 - 3 * s2 + 1) * g0 + (s3 - 2 * s2 + s) * m0 + (-2 * s3 + 3 * s2) * g1
    y += (s3 - s2) * m1
    with np.errstate(over="ignore"):
        out: FloatArray = 1.0 / (1.0 + np.exp(-y))
    return out


def beta_ppf(a: float, b: float, q: npt.ArrayLike) -> FloatArray:
    """The inverse CDF of Beta(a, b) at probabilities q (see the table above): the same as
    ``scipy.special.betaincinv(a, b, q)`` to a relative error below 5e-11 (scipy's own
    accuracy is about 1e-12), several times faster for many probabilities."""
    special = _special()
    u = np.asarray(q, dtype=np.float64)
    if u.size < 2048 or a == 1.0 or b == 1.0 or a == b == 0.5:
        # few probabilities, or shapes scipy inverts in closed form
        return _float_array(special.betaincinv(a, b, u))
    table = _beta_table(float(a), float(b))
    if table is None:
        return _float_array(special.betaincinv(a, b, u))
    t_nodes, g, dg = table
    t = _float_array(special.ndtri(u))
    out = _hermite(t, t_nodes, g, dg)
    outside = ~((t >= t_nodes[0]) & (t <= t_nodes[-1]))
    if outside.any():
        out[outside] = special.betaincinv(a, b, u[outside])
    return out


def _float_array(x: Any) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


# -- construction ---------------------------------------------------------------------------


def _number(kind: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise DistributionError(
            f"parameter {name} of a {kind} distribution must be a number, got {value!r}",
            "dist_not_number",
            name=name,
            kind=kind,
            value=repr(value),
        )
    x = float(value)
    if not math.isfinite(x):
        raise DistributionError(
            f"parameter {name} of a {kind} distribution must be a finite number, got {value!r}",
            "dist_not_finite",
            name=name,
            kind=kind,
            value=repr(value),
        )
    return x


def _positive(kind: str, name: str, x: float, note: str = "") -> None:
    if not x > 0.0:
        raise DistributionError(
            f"{name} of a {kind} distribution must be positive{note}, got {_fmt(x)}",
            "dist_positive_log_mean" if note else "dist_positive",
            name=name,
            kind=kind,
            value=_fmt(x),
        )


def _choose_spec(kind: str, names: set[str]) -> tuple[str, ...]:
    """The one accepted parameter set that the given names form, or a clear error."""
    specs = _SPECS[kind]
    optional = set(_OPTIONAL.get(kind, ()))
    known = set().union(*specs) | optional
    unknown = sorted(names - known)
    if unknown:
        word = "parameter" if len(unknown) == 1 else "parameters"
        raise DistributionError(
            f"unknown {word} {_join(unknown)} for a {kind} distribution: expected {_options(kind)}",
            "dist_unknown_param" if len(unknown) == 1 else "dist_unknown_params",
            names=Names(tuple(unknown)),
            kind=kind,
            options=_option_names(kind),
        )
    core = names - optional
    for spec in specs:
        if core == set(spec):
            return spec
    given = _join(sorted(names)) or "nothing"
    partial = [spec for spec in specs if core < set(spec)]
    if partial or not core:
        missing = sorted({name for spec in partial for name in spec} - core)
        if not core:
            raise DistributionError(
                f"a {kind} distribution needs {_options(kind)}; got {given}",
                "dist_needs" if names else "dist_needs_nothing",
                kind=kind,
                options=_option_names(kind),
                given=Names(tuple(sorted(names))),
            )
        last: Literal["and", "or"] = "or" if len(partial) > 1 else "and"
        raise DistributionError(
            f"a {kind} distribution given {given} also needs {_join(missing, last)}",
            "dist_also_needs",
            kind=kind,
            given=Names(tuple(sorted(names))),
            missing=Names(tuple(missing), last),
        )
    raise DistributionError(
        f"a {kind} distribution takes {_options(kind)}, not a mix of them: got {given}",
        "dist_mix",
        kind=kind,
        options=_option_names(kind),
        given=Names(tuple(sorted(names))),
    )


def make_distribution(kind: str, **given: float | Sequence[float]) -> Distribution:
    """Build a validated ``Distribution`` from natural parameters or from a mean and sd.

    See the module docstring for the parameter names of each kind. An impossible, incomplete or
    ambiguous specification raises ``DistributionError`` with one sentence naming the parameter,
    its value and what is expected.
    """
    if not isinstance(kind, str) or kind.strip().lower() not in KINDS:
        raise DistributionError(
            f"unknown distribution {kind!r}: expected one of {', '.join(KINDS)}",
            "dist_unknown_kind",
            kind=repr(kind),
            kinds=", ".join(KINDS),
        )
    kind = kind.strip().lower()
    if kind == "dirichlet":
        return _make_dirichlet(given)

    for name, value in given.items():
        if not isinstance(value, str) and isinstance(value, Sequence | np.ndarray):
            raise DistributionError(
                f"parameter {name} of a {kind} distribution must be a single number, "
                f"got a list {list(value)!r}",
                "dist_list_not_number",
                name=name,
                kind=kind,
                value=repr(list(value)),
            )
    spec = _choose_spec(kind, set(given))
    if "lambda" in given and "lam" in given:
        raise DistributionError(
            "a pert distribution takes lambda once: got both lambda and lam", "dist_lambda_twice"
        )
    v = {name: _number(kind, name, value) for name, value in given.items()}
    return Distribution(kind, _natural(kind, spec, v))


def _natural(kind: str, spec: tuple[str, ...], v: dict[str, float]) -> dict[str, ParamValue]:
    """Validate the given values and convert them to the kind's natural parameters."""
    if kind == "fixed":
        return {"value": v["value"]}

    if kind == "normal":
        _positive(kind, "sd", v["sd"])
        return {"mean": v["mean"], "sd": v["sd"]}

    if kind == "lognormal":
        if spec == ("meanlog", "sdlog"):
            _positive(kind, "sdlog", v["sdlog"])
            return {"meanlog": v["meanlog"], "sdlog": v["sdlog"]}
        m, s = v["mean"], v["sd"]
        _positive(kind, "mean", m, " (it is the mean of the variable itself, not of its log)")
        _positive(kind, "sd", s)
        sdlog2 = math.log1p((s / m) ** 2)
        return {"meanlog": math.log(m) - sdlog2 / 2.0, "sdlog": math.sqrt(sdlog2)}

    if kind == "beta":
        if spec == ("alpha", "beta"):
            _positive(kind, "alpha", v["alpha"])
            _positive(kind, "beta", v["beta"])
            return {"alpha": v["alpha"], "beta": v["beta"]}
        m, s = v["mean"], v["sd"]
        if not 0.0 < m < 1.0:
            raise DistributionError(
                f"mean of a beta distribution must be strictly between 0 and 1, got {_fmt(m)}",
                "dist_beta_mean",
                value=_fmt(m),
            )
        _positive(kind, "sd", s)
        limit = math.sqrt(m * (1.0 - m))
        # (a relative margin keeps sd = limit, up to rounding, from giving alpha ≈ 1e-17)
        if not s * s < m * (1.0 - m) * (1.0 - 1e-9):
            raise DistributionError(
                f"a beta distribution with mean {_fmt(m)} and sd {_fmt(s)} cannot exist: "
                f"sd must be below sqrt(mean*(1-mean)) = {_fmt(limit)}",
                "dist_beta_sd",
                mean=_fmt(m),
                sd=_fmt(s),
                limit=_fmt(limit),
            )
        concentration = m * (1.0 - m) / (s * s) - 1.0
        return {"alpha": m * concentration, "beta": (1.0 - m) * concentration}

    if kind == "gamma":
        if spec == ("mean", "sd"):
            m, s = v["mean"], v["sd"]
            _positive(kind, "mean", m)
            _positive(kind, "sd", s)
            return {"shape": (m / s) ** 2, "scale": s * s / m}
        _positive(kind, "shape", v["shape"])
        if spec == ("shape", "rate"):
            _positive(kind, "rate", v["rate"])
            return {"shape": v["shape"], "scale": 1.0 / v["rate"]}
        _positive(kind, "scale", v["scale"])
        return {"shape": v["shape"], "scale": v["scale"]}

    lo, hi = v["min"], v["max"]
    if lo > hi:
        raise DistributionError(
            f"min {_fmt(lo)} is above max {_fmt(hi)} in a {kind} distribution",
            "dist_min_above_max",
            min=_fmt(lo),
            max=_fmt(hi),
            kind=kind,
        )
    if lo == hi:
        raise DistributionError(
            f"min {_fmt(lo)} equals max {_fmt(hi)} in a {kind} distribution: "
            "use a fixed value instead",
            "dist_min_equals_max",
            min=_fmt(lo),
            max=_fmt(hi),
            kind=kind,
        )
    if kind == "uniform":
        return {"min": lo, "max": hi}

    mode = v["mode"]
    if not lo <= mode <= hi:
        raise DistributionError(
            f"mode {_fmt(mode)} of a {kind} distribution must lie between "
            f"min {_fmt(lo)} and max {_fmt(hi)}",
            "dist_mode_outside",
            mode=_fmt(mode),
            kind=kind,
            min=_fmt(lo),
            max=_fmt(hi),
        )
    if kind == "triangular":
        return {"min": lo, "mode": mode, "max": hi}

    lam = v.get("lambda", v.get("lam", DEFAULT_PERT_LAMBDA))  # pert
    _positive(kind, "lambda", lam)
    width = hi - lo
    return {
        "min": lo,
        "mode": mode,
        "max": hi,
        "lambda": lam,
        "alpha": 1.0 + lam * (mode - lo) / width,
        "beta": 1.0 + lam * (hi - mode) / width,
    }


def _make_dirichlet(given: Mapping[str, float | Sequence[float]]) -> Distribution:
    kind = "dirichlet"
    unknown = sorted(set(given) - set(_VECTOR_PARAMS))
    if unknown:
        word = "parameter" if len(unknown) == 1 else "parameters"
        raise DistributionError(
            f"unknown {word} {_join(unknown)} for a dirichlet distribution: "
            f"expected {_options(kind)}",
            "dist_unknown_param" if len(unknown) == 1 else "dist_unknown_params",
            names=Names(tuple(unknown)),
            kind=kind,
            options=_option_names(kind),
        )
    if len(given) != 1:
        got = _join(sorted(given)) or "nothing"
        if given:
            raise DistributionError(
                f"a dirichlet distribution takes either counts or alpha, not both: got {got}",
                "dist_dirichlet_both",
                given=Names(tuple(sorted(given))),
            )
        raise DistributionError(
            f"a dirichlet distribution needs counts (or alpha); got {got}", "dist_dirichlet_needs"
        )
    ((name, raw),) = given.items()
    if isinstance(raw, str) or not isinstance(raw, Sequence | np.ndarray):
        raise DistributionError(
            f"parameter {name} of a dirichlet distribution must be a list of numbers, got {raw!r}",
            "dist_dirichlet_list",
            name=name,
            value=repr(raw),
        )
    values = [_number(kind, name, x) for x in raw]
    if not values:
        raise DistributionError(
            f"{name} of a dirichlet distribution must not be empty",
            "dist_dirichlet_empty",
            name=name,
        )
    if name == "counts":
        bad = [x for x in values if x < 0.0]
        if bad:
            raise DistributionError(
                f"counts of a dirichlet distribution must be non-negative, got {_fmt(bad[0])}",
                "dist_counts_negative",
                value=_fmt(bad[0]),
            )
        if sum(values) <= 0.0:
            raise DistributionError(
                "counts of a dirichlet distribution must not all be zero, "
                f"got {[_fmt(x) for x in values]}",
                "dist_counts_zero",
                values=", ".join(_fmt(x) for x in values),
            )
    else:
        bad = [x for x in values if not x > 0.0]
        if bad:
            raise DistributionError(
                f"alpha of a dirichlet distribution must be positive, got {_fmt(bad[0])}",
                "dist_positive",
                name="alpha",
                kind=kind,
                value=_fmt(bad[0]),
            )
    return Distribution(kind, {"alpha": tuple(values)})


# -- correlated sampling --------------------------------------------------------------------


def _correlation_factor(corr: npt.ArrayLike, k: int) -> FloatArray:
    """A matrix L with L Lᵀ = corr, after checking corr is a valid correlation matrix."""
    c = np.asarray(corr, dtype=np.float64)
    if c.shape != (k, k):
        raise DistributionError(
            f"the correlation matrix must be {k} x {k} (one row per input), got shape {c.shape}",
            "dist_corr_shape",
            k=k,
            shape=" x ".join(str(d) for d in c.shape),
        )
    if not np.all(np.isfinite(c)):
        raise DistributionError(
            "the correlation matrix must contain only finite numbers", "dist_corr_finite"
        )
    tol = 1e-10
    if not np.allclose(c, c.T, rtol=0.0, atol=tol):
        i, j = np.unravel_index(np.argmax(np.abs(c - c.T)), c.shape)
        raise DistributionError(
            f"the correlation matrix must be symmetric: entry ({i}, {j}) is {_fmt(c[i, j])} "
            f"but entry ({j}, {i}) is {_fmt(c[j, i])}",
            "dist_corr_symmetric",
            i=int(i),
            j=int(j),
            a=_fmt(c[i, j]),
            b=_fmt(c[j, i]),
        )
    diag = np.diag(c)
    if not np.allclose(diag, 1.0, rtol=0.0, atol=tol):
        d = int(np.argmax(np.abs(diag - 1.0)))
        raise DistributionError(
            f"the correlation matrix must have 1 on its diagonal: entry ({d}, {d}) "
            f"is {_fmt(diag[d])}",
            "dist_corr_diagonal",
            d=d,
            value=_fmt(diag[d]),
        )
    if np.any(np.abs(c) > 1.0 + tol):
        i, j = np.unravel_index(np.argmax(np.abs(c)), c.shape)
        raise DistributionError(
            f"correlations must lie between -1 and 1: entry ({i}, {j}) is {_fmt(c[i, j])}",
            "dist_corr_range",
            i=int(i),
            j=int(j),
            value=_fmt(c[i, j]),
        )
    c = (c + c.T) / 2.0
    try:
        return _float_array(np.linalg.cholesky(c))
    except np.linalg.LinAlgError:
        pass
    # Not positive definite: either positive semi-definite (e.g. two perfectly correlated
    # inputs), which the factor V·sqrt(Λ) of the eigendecomposition handles, or impossible.
    eigval, eigvec = np.linalg.eigh(c)
    if eigval[0] < -1e-8:
        raise DistributionError(
            "the correlation matrix is not positive semi-definite (its smallest eigenvalue is "
            f"{_fmt(eigval[0])}): these correlations cannot hold together",
            "dist_corr_psd",
            value=_fmt(eigval[0]),
        )
    return _float_array(eigvec * np.sqrt(np.clip(eigval, 0.0, None)))


def sample_correlated(
    dists: Sequence[Distribution], corr: npt.ArrayLike, n: int, rng: np.random.Generator
) -> list[FloatArray]:
    """n draws of each distribution, dependent through a Gaussian copula with matrix corr.

    corr is the correlation of the underlying standard normals (Pearson); the draws keep their
    marginals exactly and have Spearman rank correlation (6/π)·asin(corr/2). Returns one [n]
    array per distribution, in order. Dirichlet inputs cannot take part.
    """
    for i, d in enumerate(dists):
        if d.kind == "dirichlet":
            raise DistributionError(
                f"input {i} is a dirichlet distribution, which cannot take part in correlated "
                "sampling: it is a probability vector without an inverse CDF",
                "dist_corr_dirichlet",
                index=i,
            )
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise DistributionError(
            f"the number of draws must be a non-negative integer, got {n}", "dist_draws", n=str(n)
        )
    factor = _correlation_factor(corr, len(dists))
    if not dists:
        return []
    z = rng.standard_normal((n, len(dists))) @ factor.T
    u = _float_array(_special().ndtr(z))
    # keep u inside (0, 1) so that unbounded marginals never return ±inf
    u = np.clip(u, np.finfo(np.float64).tiny, np.nextafter(1.0, 0.0))
    return [d.ppf(u[:, j]) for j, d in enumerate(dists)]
