"""One-way sensitivity (tornado) and threshold values of a success-rate case (METHOD.md §3).

One-way: each chosen input is set to a low and a high value while every other input keeps its
point value; the net present value per actor and in total is reported at both, sorted by the swing
of the total. All 2·K scenarios (plus the point scenario) go through the engine in one batch, as
if they were Monte Carlo draws: the base arrays are repeated and each input's setter writes a
column that holds its point value everywhere except in its own two scenarios.

Threshold values: the value of an input at which the NPV of an actor (or the total) is 0. The range
is scanned on a grid in one batch; every sign change is then refined with Brent's method.

Inputs given as distributions are varied by default (5th and 95th percentiles; thresholds over the
0.1–99.9 % interval). Inputs given as plain numbers can be varied when a range is given: ``prepare``
then registers them as ``fixed`` distributions at their own value, so they have a setter too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from socialinvest.case.load import LoadedCase
from socialinvest.case.models import Case
from socialinvest.engine.summary import Summary
from socialinvest.errors import InputError, msg
from socialinvest.knowledge.base import KnowledgeBase, default_knowledge_base
from socialinvest.runner import Prepared, Slot, prepare, run_arrays
from socialinvest.vocabulary import ACTORS

Range = tuple[float, float]

DEFAULT_P_LOW, DEFAULT_P_HIGH = 0.05, 0.95
THRESHOLD_P_LOW, THRESHOLD_P_HIGH = 0.001, 0.999
GRID_STEPS = 64
TARGETS = ("total", *ACTORS)

_SPEC = re.compile(r"^\s*([^=\s]+)\s*(?:=\s*([^:]+?)\s*:\s*(.+?)\s*)?$")

# What values each kind of input may take (the case format's ranges), by the path's shape.
_KINDS: tuple[tuple[re.Pattern[str], str, float, float], ...] = (
    (re.compile(r"^success\.rate_(with|without)$"), "share", 0.0, 1.0),
    (re.compile(r"^success\.absolute_effect$"), "effect", -1.0, 1.0),
    (re.compile(r"^adjustments\.(attribution|drop_off|optimism_bias\.effects)$"), "share", 0, 1),
    (re.compile(r"^adjustments\.optimism_bias\.costs$"), "uplift", 0.0, math.inf),
    (re.compile(r"^target_group\.cohorts\[\d+\]\.intake$"), "count", 0.0, math.inf),
    (re.compile(r"^intervention\.costs\[\d+\]\.amount$"), "money", 0.0, math.inf),
    (re.compile(r"^consequences\[\d+\]\.price\.value$"), "money", 0.0, math.inf),
)


def input_kind(path: str) -> tuple[str, float, float]:
    """The kind of an input ("share", "effect", "uplift", "count", "money", "number") and the
    range of values it may take."""
    for pattern, kind, low, high in _KINDS:
        if pattern.match(path):
            return kind, float(low), float(high)
    return "number", -math.inf, math.inf


def parse_spec(text: str, option: str = "--input") -> tuple[str, Range | None]:
    """``PATH`` or ``PATH=LOW:HIGH`` (a decimal comma is accepted) as (path, range or None)."""
    match = _SPEC.match(text)
    expected = msg("s_spec", option=option)
    if match is None:
        raise InputError(expected, field=option, value=text)
    path, low, high = match.groups()
    if low is None:
        return path, None
    try:
        values = (float(low.replace(",", ".")), float(high.replace(",", ".")))
    except ValueError:
        raise InputError(expected, field=option, value=text) from None
    if not all(math.isfinite(v) for v in values):
        raise InputError(msg("s_spec_finite", option=option), field=option, value=text)
    if values[0] >= values[1]:
        raise InputError(msg("s_spec_order", option=option), field=option, value=text)
    return path, values


@dataclass(frozen=True)
class OneWay:
    """One input of the tornado: its values and the NPV (``total`` and per actor) at each."""

    path: str
    point: float
    low: float
    high: float
    basis: str  # "percentiles" (5th/95th of its distribution) or "given"
    npv_low: dict[str, float]
    npv_high: dict[str, float]

    @property
    def swing(self) -> float:
        return abs(self.npv_high["total"] - self.npv_low["total"])


@dataclass(frozen=True)
class Crossing:
    """Where the NPV of one target (``total`` or an actor) is 0 within a range."""

    target: str
    values: list[float]  # every crossing found, in increasing order; empty: none in the range
    npv_at_low: float
    npv_at_high: float

    @property
    def sign(self) -> str:
        """Without a crossing: "positive", "negative" or "zero" throughout the range."""
        if self.values:
            return "crossing"
        if self.npv_at_low > 0 or self.npv_at_high > 0:
            return "positive"
        if self.npv_at_low < 0 or self.npv_at_high < 0:
            return "negative"
        return "zero"


@dataclass(frozen=True)
class Threshold:
    """Threshold values of one input over a range, for the total and each actor with flows."""

    path: str
    point: float
    low: float
    high: float
    basis: str  # "interval" (0.1–99.9 % of its distribution) or "given"
    crossings: list[Crossing]


@dataclass(frozen=True)
class Sensitivity:
    """The one-way analysis and threshold values of one case."""

    case: Case
    file: str
    case_sha256: str
    npv_point: dict[str, float]
    one_way: list[OneWay]
    thresholds: list[Threshold]
    skipped: list[dict[str, str]]
    knowledge_base_version: str
    knowledge_base_digest: str
    names: dict[str, Any] = field(default_factory=dict)  # labels of costs, consequences, cohorts

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON structure (docs/output-format.md, "sensitivity")."""
        from socialinvest import __version__

        def npv(values: dict[str, float]) -> dict[str, Any]:
            return {"total": values["total"], "by_actor": {a: values[a] for a in ACTORS}}

        return {
            "analysis": "sensitivity",
            "case": {"name": self.case.name, "file": self.file},
            "currency": self.case.currency,
            "price_year": self.case.price_year,
            "npv_point": npv(self.npv_point),
            "one_way": [
                {
                    "input": o.path,
                    "point": o.point,
                    "low": o.low,
                    "high": o.high,
                    "basis": o.basis,
                    "npv_low": npv(o.npv_low),
                    "npv_high": npv(o.npv_high),
                    "swing": o.swing,
                }
                for o in self.one_way
            ],
            "skipped": self.skipped,
            "thresholds": [
                {
                    "input": t.path,
                    "point": t.point,
                    "range": {"low": t.low, "high": t.high, "basis": t.basis},
                    "results": [
                        {
                            "target": c.target,
                            "values": c.values,
                            "sign": c.sign,
                            "npv_at_low": c.npv_at_low,
                            "npv_at_high": c.npv_at_high,
                        }
                        for c in t.crossings
                    ],
                }
                for t in self.thresholds
            ],
            "provenance": {
                "package_version": __version__,
                "knowledge_base_version": self.knowledge_base_version,
                "knowledge_base_digest": self.knowledge_base_digest,
                "case_file": self.file,
                "case_sha256": self.case_sha256,
            },
        }


# -- evaluation -----------------------------------------------------------------------------------


def run_scenarios(prepared: Prepared, slots: list[Slot], values: np.ndarray) -> Summary:
    """The summary of S scenarios: ``values[s, k]`` is the value of ``slots[k]`` in scenario s;
    inputs not in ``slots`` keep their point values. One engine run."""
    n = values.shape[0]
    arrays = {name: np.repeat(value, n, axis=0) for name, value in prepared.base.items()}
    for k, slot in enumerate(slots):
        slot.apply(arrays, np.ascontiguousarray(values[:, k], dtype=np.float64))
    return run_arrays(prepared, arrays)


def scenario_npv(prepared: Prepared, slots: list[Slot], values: np.ndarray) -> np.ndarray:
    """NPV per actor [S, A] of the scenarios (see :func:`run_scenarios`)."""
    npv: np.ndarray = run_scenarios(prepared, slots, values).npv
    return npv


def _by_target(npv_row: np.ndarray) -> dict[str, float]:
    return {"total": float(npv_row.sum()), **{a: float(npv_row[k]) for k, a in enumerate(ACTORS)}}


def _point(slot: Slot) -> float:
    return float(slot.spec.point)


class _Inputs:
    """The case's variable inputs by path, with the errors for a path that cannot be varied."""

    def __init__(self, loaded: LoadedCase, prepared: Prepared) -> None:
        self.loaded = loaded
        self.by_path = {slot.path: slot for slot in prepared.slots}

    def declared(self) -> list[Slot]:
        return [s for s in self.by_path.values() if s.declared]

    def get(self, path: str, given: Range | None, option: str) -> tuple[Slot, Range | None]:
        slot = self.by_path.get(path)
        if slot is None:
            paths = [p for p, s in self.by_path.items() if s.spec.dist != "dirichlet"]
            shown = ", ".join(paths[:12]) + (", …" if len(paths) > 12 else "")
            raise InputError(
                msg("s_input_path", file=self.loaded.file, paths=shown),
                field=option,
                value=path,
            )
        if slot.spec.dist == "dirichlet":
            raise InputError(
                msg("s_dirichlet"),
                field=option,
                value=path,
            )
        if given is None and not slot.declared:
            raise InputError(
                msg("s_range_needed", option=option, path=path),
                field=option,
                value=path,
            )
        if given is not None:
            _, lowest, highest = input_kind(path)
            for value in given:
                if not lowest <= value <= highest:
                    raise InputError(
                        msg("s_between", low=f"{lowest:g}", high=f"{highest:g}", path=path),
                        field=option,
                        value=f"{given[0]:g}:{given[1]:g}",
                    )
        return slot, given


def _loaded(case: Case | LoadedCase) -> LoadedCase:
    return case if isinstance(case, LoadedCase) else LoadedCase.of(case)


# -- state-transition cases -----------------------------------------------------------------------


def _distributions(value: Any, path: str) -> list[tuple[str, Any]]:
    """(path, Dist) of every one-dimensional input given as a distribution in a case model."""
    from pydantic import BaseModel

    from socialinvest.case.models import Dist

    if isinstance(value, Dist):
        return [] if value.dist in ("fixed", "dirichlet") else [(path, value)]
    out: list[tuple[str, Any]] = []
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            out += _distributions(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, dict):
        for key, item in value.items():
            out += _distributions(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            out += _distributions(item, f"{path}[{i}]")
    return out


def _set_path(data: Any, path: str, value: float) -> None:
    """Set ``value`` at a dotted path with [i] indexes in plain data (from model_dump)."""
    import re

    parts = [p for p in re.split(r"\.|\[(\d+)\]", path) if p]
    target = data
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last = parts[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


def _state_transition_analyse(
    loaded: LoadedCase,
    knowledge: KnowledgeBase,
    inputs: Mapping[str, Range | None] | None,
    thresholds: Mapping[str, Range | None] | None,
    p_low: float,
    p_high: float,
) -> Sensitivity:
    """One-way sensitivity of a state-transition case: each input given as a distribution (a
    parameter, a transition cell, a relative risk, a reward ...) at its low and high
    percentile, or at a given range, the others at their point values; one appraisal per
    scenario (state-transition runs are fast), so the NPV per actor is the engine's own."""
    from socialinvest.case.models import Case as CaseModel
    from socialinvest.runner import appraise

    if thresholds:
        raise InputError(
            msg("s_threshold_success_rate_only"),
            field="--threshold",
            value=next(iter(thresholds)),
        )
    found = dict(_distributions(loaded.case, ""))
    dumped = loaded.case.model_dump(by_alias=True, exclude_none=True)

    def point_of(path: str) -> float:
        if path in found:
            return float(found[path].point)
        target: Any = dumped
        import re

        for part in [p for p in re.split(r"\.|\[(\d+)\]", path) if p]:
            try:
                target = target[int(part)] if isinstance(target, list) else target[part]
            except (KeyError, IndexError, ValueError, TypeError):
                raise InputError(
                    "the path of an input of the case given as a number or a distribution ("
                    + ", ".join(list(found)[:12])
                    + ")",
                    field="--input",
                    value=path,
                ) from None
        if not isinstance(target, int | float):
            raise InputError("the path of a single number", field="--input", value=path)
        return float(target)

    def npv_at(values: dict[str, float]) -> np.ndarray:
        data = loaded.case.model_dump(by_alias=True, exclude_none=True)
        for path, dist in found.items():  # every other uncertain input at its point value
            _set_path(data, path, float(dist.point))
        for path, value in values.items():
            _set_path(data, path, value)
        case = CaseModel.model_validate(data)
        result = appraise(LoadedCase(case, loaded.document, loaded.sha256), knowledge)
        return np.asarray(result.summary.npv.mean(axis=0), dtype=np.float64)

    chosen: list[tuple[str, float, float, str]] = []
    if inputs:
        for path, given in inputs.items():
            point = point_of(path)
            if given is None:
                if path not in found:
                    raise InputError(
                        f"a range for an input given as a plain number, e.g. --input "
                        f"{path}=LOW:HIGH",
                        field="--input",
                        value=path,
                    )
                low, high = found[path].distribution.interval(p_low, p_high)
                chosen.append((path, float(low), float(high), "percentiles"))
            else:
                chosen.append((path, given[0], given[1], "given"))
            del point
    else:
        for path, dist in found.items():
            low, high = dist.distribution.interval(p_low, p_high)
            chosen.append((path, float(low), float(high), "percentiles"))
    base = npv_at({})
    rows = []
    for path, low, high, basis in chosen:
        rows.append(
            OneWay(
                path=path,
                point=point_of(path),
                low=low,
                high=high,
                basis=basis,
                npv_low=_by_target(npv_at({path: low})),
                npv_high=_by_target(npv_at({path: high})),
            )
        )
    rows.sort(key=lambda r: -r.swing)
    return Sensitivity(
        case=loaded.case,
        file=loaded.file,
        case_sha256=loaded.sha256,
        npv_point=_by_target(base),
        one_way=rows,
        thresholds=[],
        skipped=[],
        knowledge_base_version=knowledge.version,
        knowledge_base_digest=knowledge.digest,
        names={
            "consequences": [],
            "costs": [c.name for c in loaded.case.intervention.costs],
            "cohorts": [c.year for c in loaded.case.target_group.cohorts],
        },
    )


def one_way(
    prepared: Prepared,
    chosen: list[tuple[Slot, Range | None]],
    p_low: float = DEFAULT_P_LOW,
    p_high: float = DEFAULT_P_HIGH,
) -> tuple[dict[str, float], list[OneWay]]:
    """The NPV at point values and each input's low and high scenario, sorted by swing."""
    slots = [slot for slot, _ in chosen]
    k = len(slots)
    points = np.array([_point(s) for s in slots], dtype=np.float64)
    values = np.repeat(points[None, :], 1 + 2 * k, axis=0)
    ranges: list[tuple[float, float, str]] = []
    for j, (slot, given) in enumerate(chosen):
        if given is not None:
            low, high, basis = given[0], given[1], "given"
        else:
            low, high = slot.spec.distribution.interval(p_low, p_high)
            basis = "percentiles"
        values[1 + 2 * j, j] = low
        values[2 + 2 * j, j] = high
        ranges.append((low, high, basis))
    npv = scenario_npv(prepared, slots, values)
    rows = [
        OneWay(
            path=slot.path,
            point=float(points[j]),
            low=low,
            high=high,
            basis=basis,
            npv_low=_by_target(npv[1 + 2 * j]),
            npv_high=_by_target(npv[2 + 2 * j]),
        )
        for j, (slot, (low, high, basis)) in enumerate(zip(slots, ranges, strict=True))
    ]
    rows.sort(key=lambda r: -r.swing)  # stable: ties keep the case's order
    return _by_target(npv[0]), rows


def threshold(prepared: Prepared, slot: Slot, given: Range | None, targets: list[str]) -> Threshold:
    """Values of one input at which the NPV of each target crosses 0, within a range."""
    from scipy.optimize import brentq  # type: ignore[import-untyped,unused-ignore]

    if given is not None:
        low, high, basis = min(given), max(given), "given"
    else:
        low, high = slot.spec.distribution.interval(THRESHOLD_P_LOW, THRESHOLD_P_HIGH)
        basis = "interval"
    grid = np.linspace(low, high, GRID_STEPS + 1)
    npv = scenario_npv(prepared, [slot], grid[:, None])  # [G, A]
    table = np.column_stack([npv.sum(axis=1), npv])  # [G, 1 + A]: total, then actors
    crossings = []
    for target in targets:
        column = TARGETS.index(target)
        f = table[:, column]

        def at(x: float, column: int = column) -> float:
            row = scenario_npv(prepared, [slot], np.array([[x]]))[0]
            return float(row.sum()) if column == 0 else float(row[column - 1])

        found: list[float] = []
        for i in range(len(grid)):
            if f[i] == 0.0:
                found.append(float(grid[i]))
            elif i + 1 < len(grid) and f[i] * f[i + 1] < 0.0:
                xtol = 1e-12 * max(1.0, abs(high - low))
                root = brentq(at, float(grid[i]), float(grid[i + 1]), xtol=xtol)
                found.append(float(root))
        crossings.append(Crossing(target, found, float(f[0]), float(f[-1])))
    return Threshold(slot.path, _point(slot), float(low), float(high), basis, crossings)


def analyse(
    case: Case | LoadedCase,
    kb: KnowledgeBase | None = None,
    *,
    inputs: Mapping[str, Range | None] | None = None,
    thresholds: Mapping[str, Range | None] | None = None,
    p_low: float = DEFAULT_P_LOW,
    p_high: float = DEFAULT_P_HIGH,
) -> Sensitivity:
    """One-way sensitivity of ``inputs`` (path → (low, high) or None for the distribution's
    percentiles; default every input given as a distribution) and threshold values of the
    inputs in ``thresholds`` (path → range or None for the 0.1–99.9 % interval)."""
    loaded = _loaded(case)
    knowledge = kb or default_knowledge_base()
    if loaded.case.model == "state_transition":
        return _state_transition_analyse(loaded, knowledge, inputs, thresholds, p_low, p_high)
    prepared = prepare(loaded, knowledge, every_input=True)
    variable = _Inputs(loaded, prepared)
    skipped: list[dict[str, str]] = []
    if inputs:
        chosen = [variable.get(path, given, "--input") for path, given in inputs.items()]
    else:
        chosen = []
        for slot in variable.declared():
            if slot.spec.dist == "dirichlet":
                skipped.append({"input": slot.path, "reason": "dirichlet"})
            else:
                chosen.append((slot, None))
    npv_point, rows = one_way(prepared, chosen, p_low, p_high)
    active = run_scenarios(prepared, [], np.zeros((1, 0))).active  # [A, R]
    targets = ["total", *(a for k, a in enumerate(ACTORS) if bool(active[k].any()))]
    found = [
        threshold(prepared, *variable.get(path, given, "--threshold"), targets)
        for path, given in (thresholds or {}).items()
    ]
    meta = prepared.meta
    names = {
        "consequences": [(c.name, c.name_da or c.name) for c in meta["consequences"]],
        "costs": [row["name"] for row in meta["costs"]],
        "cohorts": [c.year for c in loaded.case.target_group.cohorts],
    }
    return Sensitivity(
        case=loaded.case,
        file=loaded.file,
        case_sha256=loaded.sha256,
        npv_point=npv_point,
        one_way=rows,
        thresholds=found,
        skipped=skipped,
        knowledge_base_version=knowledge.version,
        knowledge_base_digest=knowledge.digest,
        names=names,
    )
