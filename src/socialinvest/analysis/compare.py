"""Comparing alternatives for the same target group (METHOD.md §3).

Each alternative is a case file, appraised as `socialinvest run` would. Reported: NPV (total and per
actor), return per krone, discounted costs, additional successes and cost per additional success;
rankings by NPV and by return per krone; dominance and the efficiency frontier with cost =
discounted costs and effect = additional successes; and under Monte Carlo (every alternative run
with the same seed) the probability that each alternative has the highest NPV and the expected
value of perfect information for the choice, EVPI = E[max_j NPV_j] − max_j E[NPV_j].

"Do nothing" (NPV 0, no costs, no effect) is an option only when asked for.

A comparison file is a small YAML file naming the alternatives::

    name: Beskæftigelsesindsatser for unge
    alternatives:
      - case: impact60-job-education.yaml      # relative to this file
        name: IMPACT60
      - case: mentor.yaml
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from socialinvest.case.load import LoadedCase
from socialinvest.case.models import Case
from socialinvest.errors import InputError, Msg, msg
from socialinvest.knowledge.base import KnowledgeBase, default_knowledge_base
from socialinvest.vocabulary import ACTORS

DO_NOTHING = "do_nothing"
SUCCESSES = "successes"
BUDGET_COSTS = "budget_costs"

# Frontier statuses
FRONTIER = "frontier"
STRONGLY_DOMINATED = "strongly_dominated"
EXTENDEDLY_DOMINATED = "extendedly_dominated"


@dataclass(frozen=True)
class Alternative:
    """Key figures of one alternative (means over draws), and its NPV in every draw."""

    name: str
    file: str | None
    npv: float
    npv_by_actor: dict[str, float]
    discounted_costs: float
    discounted_gains: float
    additional_successes: float
    npv_draws: np.ndarray  # [D]
    case_sha256: str | None = None
    do_nothing: bool = False
    # a state-transition case's outcomes: the difference intervention − comparator (means)
    outcomes: dict[str, float] = field(default_factory=dict)

    def measure(self, name: str) -> float | None:
        """An effect or cost measure: "successes" (additional successes), "budget_costs"
        (discounted costs), or a declared outcome's difference between the arms (0 for do
        nothing; None when the alternative does not declare it)."""
        if name == SUCCESSES:
            return self.additional_successes
        if name == BUDGET_COSTS:
            return self.discounted_costs
        if self.do_nothing:
            return 0.0
        return self.outcomes.get(name)

    @property
    def return_per_krone(self) -> float | None:
        return self.discounted_gains / self.discounted_costs if self.discounted_costs > 0 else None

    @property
    def cost_per_additional_success(self) -> float | None:
        if self.additional_successes > 0:
            return self.discounted_costs / self.additional_successes
        return None


@dataclass(frozen=True)
class FrontierPoint:
    """Where one alternative stands on the cost-effect plane."""

    status: str  # frontier, strongly_dominated, extendedly_dominated
    dominated_by: list[str] = field(default_factory=list)  # strong: cheaper-and-better ones;
    # extended: the two frontier alternatives a mix of which does better
    compared_with: str | None = None  # frontier: the previous alternative on it
    incremental_cost_per_success: float | None = None  # vs compared_with


def efficiency_frontier(
    costs: list[float], effects: list[float], names: list[str]
) -> list[FrontierPoint]:
    """Strong and extended dominance, and the incremental cost per additional success between
    consecutive alternatives on the frontier (cost = discounted costs, effect = successes).

    Strongly dominated: another alternative costs no more and achieves no less (and differs, or is
    identical and listed first). Extendedly dominated: its incremental cost per additional
    success is higher than that of the next more effective alternative, so a mix of its two
    neighbours gives more effect for the same cost. Removed one at a time, worst first.
    """
    n = len(costs)
    points: list[FrontierPoint | None] = [None] * n
    for i in range(n):
        better = [
            names[j]
            for j in range(n)
            if j != i
            and costs[j] <= costs[i]
            and effects[j] >= effects[i]
            and (costs[j] < costs[i] or effects[j] > effects[i] or j < i)
        ]
        if better:
            points[i] = FrontierPoint(STRONGLY_DOMINATED, dominated_by=better)
    # remaining: sorted by cost, effects strictly increasing with cost
    remaining = sorted((i for i in range(n) if points[i] is None), key=lambda i: (costs[i], i))
    while True:
        icers = [
            (costs[b] - costs[a]) / (effects[b] - effects[a])
            for a, b in itertools.pairwise(remaining)
        ]
        worst = None
        for k in range(len(icers) - 1):
            if icers[k] > icers[k + 1] and (worst is None or icers[k] > icers[worst]):
                worst = k
        if worst is None:
            break
        i = remaining[worst + 1]
        points[i] = FrontierPoint(
            EXTENDEDLY_DOMINATED,
            dominated_by=[names[remaining[worst]], names[remaining[worst + 2]]],
        )
        remaining.pop(worst + 1)
    for k, i in enumerate(remaining):
        if k == 0:
            points[i] = FrontierPoint(FRONTIER)
        else:
            a = remaining[k - 1]
            points[i] = FrontierPoint(
                FRONTIER,
                compared_with=names[a],
                incremental_cost_per_success=(costs[i] - costs[a]) / (effects[i] - effects[a]),
            )
    return [p for p in points if p is not None]


def evpi(npv: np.ndarray) -> dict[str, float]:
    """EVPI = E[max_j NPV_j] − max_j E[NPV_j] over draws ``npv`` [D, J], with its Monte Carlo
    standard error (the sd of the per-draw loss max_j NPV_j − NPV_{j*} over √D, j* the option
    with the highest mean)."""
    means = npv.mean(axis=0)
    best = int(np.argmax(means))
    loss = npv.max(axis=1) - npv[:, best]
    d = npv.shape[0]
    return {
        "value": float(loss.mean()),
        "standard_error": float(loss.std(ddof=1) / math.sqrt(d)) if d > 1 else 0.0,
        "expected_max": float(npv.max(axis=1).mean()),
        "max_expected": float(means[best]),
    }


def prob_highest(npv: np.ndarray) -> np.ndarray:
    """Share of draws in which each option has the highest NPV (ties split evenly)."""
    top = npv == npv.max(axis=1, keepdims=True)
    out: np.ndarray = (top / top.sum(axis=1, keepdims=True)).mean(axis=0)
    return out


def _ranks(values: list[float | None]) -> list[int | None]:
    """1 for the highest; equal values share a rank; None values are not ranked."""
    return [
        None if v is None else 1 + sum(1 for w in values if w is not None and w > v) for v in values
    ]


@dataclass(frozen=True)
class Comparison:
    """Alternatives with their key figures, rankings, frontier and (with draws) EVPI."""

    name: str | None
    price_year: int
    currency: str
    draws: int
    seed: int | None
    alternatives: list[Alternative]
    frontier: list[FrontierPoint]
    notes: list[dict[str, Any]]
    knowledge_base_version: str
    knowledge_base_digest: str
    effect: str = SUCCESSES
    cost: str = BUDGET_COSTS
    # the frontier on every outcome all alternatives declare (with the same cost measure)
    frontiers: dict[str, list[FrontierPoint]] = field(default_factory=dict)

    @property
    def rank_npv(self) -> list[int | None]:
        return _ranks([a.npv for a in self.alternatives])

    @property
    def rank_return_per_krone(self) -> list[int | None]:
        return _ranks([a.return_per_krone for a in self.alternatives])

    def ranking(self, ranks: list[int | None]) -> list[str]:
        order = sorted(
            (i for i, r in enumerate(ranks) if r is not None), key=lambda i: (ranks[i], i)
        )
        return [self.alternatives[i].name for i in order]

    def frontier_order(self, points: list[FrontierPoint] | None = None) -> list[str]:
        points = self.frontier if points is None else points
        on = [i for i, p in enumerate(points) if p.status == FRONTIER]  # in order of cost
        on.sort(key=lambda i: (self.alternatives[i].measure(self.cost) or 0.0, i))
        return [self.alternatives[i].name for i in on]

    def npv_matrix(self) -> np.ndarray:
        """[D, J] NPV of every option in every draw."""
        return np.column_stack([a.npv_draws for a in self.alternatives])

    @property
    def prob_highest_npv(self) -> list[float] | None:
        if self.draws <= 1:
            return None
        return [float(p) for p in prob_highest(self.npv_matrix())]

    def evpi(self) -> dict[str, float] | None:
        if self.draws <= 1:
            return None
        return evpi(self.npv_matrix())

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON structure (docs/output-format.md, "compare")."""
        from socialinvest import __version__

        def num(x: float | None) -> float | None:
            return x if x is None or math.isfinite(x) else None

        rank_npv, rank_rpk, prob = self.rank_npv, self.rank_return_per_krone, self.prob_highest_npv
        return {
            "analysis": "comparison",
            "name": self.name,
            "currency": self.currency,
            "price_year": self.price_year,
            "draws": self.draws,
            "seed": self.seed,
            "alternatives": [
                {
                    "name": a.name,
                    "file": a.file,
                    "do_nothing": a.do_nothing,
                    "npv": {"total": a.npv, "by_actor": a.npv_by_actor},
                    "discounted_gains": a.discounted_gains,
                    "discounted_costs": a.discounted_costs,
                    "return_per_krone": num(a.return_per_krone),
                    "additional_successes": a.additional_successes,
                    "cost_per_additional_success": num(a.cost_per_additional_success),
                    "outcomes": a.outcomes,
                    "effect": a.measure(self.effect),
                    "cost": a.measure(self.cost),
                    "rank_npv": rank_npv[i],
                    "rank_return_per_krone": rank_rpk[i],
                    "frontier": {
                        "status": p.status,
                        "dominated_by": p.dominated_by,
                        "compared_with": p.compared_with,
                        "incremental_cost_per_success": num(p.incremental_cost_per_success),
                        "icer": num(p.incremental_cost_per_success),
                    },
                    "prob_highest_npv": prob[i] if prob is not None else None,
                }
                for i, (a, p) in enumerate(zip(self.alternatives, self.frontier, strict=True))
            ],
            "ranking": {
                "npv": self.ranking(rank_npv),
                "return_per_krone": self.ranking(rank_rpk),
            },
            "frontier": self.frontier_order(),
            "effect": self.effect,
            "cost": self.cost,
            "frontiers": {
                outcome: {
                    "order": self.frontier_order(points),
                    "alternatives": [
                        {
                            "name": a.name,
                            "effect": a.measure(outcome),
                            "cost": a.measure(self.cost),
                            "status": p.status,
                            "dominated_by": p.dominated_by,
                            "compared_with": p.compared_with,
                            "icer": num(p.incremental_cost_per_success),
                        }
                        for a, p in zip(self.alternatives, points, strict=True)
                    ],
                }
                for outcome, points in self.frontiers.items()
            },
            "evpi": self.evpi(),
            "notes": self.notes,
            "provenance": {
                "package_version": __version__,
                "knowledge_base_version": self.knowledge_base_version,
                "knowledge_base_digest": self.knowledge_base_digest,
                "case_files": [
                    {"file": a.file, "case_sha256": a.case_sha256}
                    for a in self.alternatives
                    if not a.do_nothing
                ],
            },
        }


def read_comparison_file(path: str | Path) -> tuple[str | None, list[tuple[str | None, Path]]]:
    """A comparison file's name and its alternatives (name or None, case file path)."""
    from socialinvest.source import read_document

    document = read_document(path)
    data = document.data
    file = document.file

    def error(where: tuple[str | int, ...], expected: str | Msg, value: Any) -> InputError:
        from socialinvest.errors import field_path

        return InputError(
            expected,
            file=file,
            line=document.line_of(where),
            field=field_path(where) or None,
            value=value,
        )

    if not isinstance(data, dict) or not isinstance(data.get("alternatives"), list):
        raise error((), msg("m_comparison_file"), data)
    unknown = set(data) - {"name", "alternatives"}
    if unknown:
        key = sorted(unknown)[0]
        raise InputError(
            msg("t_known_fields", fields="name, alternatives", hint=""),
            file=file,
            line=document.line_of((key,)),
            field=key,
            problem=msg("t_unknown_field"),
        )
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise error(("name",), msg("t_text"), name)
    base = Path(path).parent
    out: list[tuple[str | None, Path]] = []
    for i, item in enumerate(data["alternatives"]):
        if not isinstance(item, dict) or not isinstance(item.get("case"), str):
            raise error(("alternatives", i), msg("m_alternative"), item)
        extra = set(item) - {"case", "name"}
        if extra:
            raise error(("alternatives", i, sorted(extra)[0]), msg("m_only_case_name"), item)
        label = item.get("name")
        if label is not None and not isinstance(label, str):
            raise error(("alternatives", i, "name"), msg("t_text"), label)
        out.append((label, base / item["case"]))
    return name, out


def is_comparison_file(path: str | Path) -> bool:
    """Whether a YAML/JSON file is a comparison file (it has 'alternatives', not 'intervention')."""
    from socialinvest.source import read_document

    data = read_document(path).data
    return isinstance(data, dict) and "alternatives" in data and "intervention" not in data


def _alternative(name: str, loaded: LoadedCase, result: Any) -> Alternative:
    costs = result.discounted_costs_by_actor()
    gains = result.discounted_gains_by_actor()
    return Alternative(
        name=name,
        file=loaded.file,
        npv=result.npv_total,
        npv_by_actor=result.npv_by_actor(),
        discounted_costs=float(sum(costs.values())),
        discounted_gains=float(sum(gains.values())),
        additional_successes=result.additional_successes,
        npv_draws=np.asarray(result.summary.npv_total, dtype=np.float64),
        case_sha256=loaded.sha256,
        outcomes=_outcome_differences(result),
    )


def _offset(
    progress: Callable[[int, int], None], before: int, total: int
) -> Callable[[int, int], None]:
    """Progress of one alternative's run as progress of the whole comparison."""
    return lambda done, _: progress(before + done, total)


def _outcome_differences(result: Any) -> dict[str, float]:
    """Each declared outcome's (and total's) difference between the arms, mean over draws."""
    table = result.outcome_table()
    if table is None:
        return {}
    return {name: float(row["difference"]) for name, row in table["outcomes"].items()}


def compare(
    cases: list[tuple[str | None, Case | LoadedCase]],
    kb: KnowledgeBase | None = None,
    *,
    name: str | None = None,
    draws: int = 1,
    seed: int | None = None,
    with_do_nothing: bool = False,
    progress: Callable[[int, int], None] | None = None,
    effect: str = SUCCESSES,
    cost: str = BUDGET_COSTS,
) -> Comparison:
    """Appraise every alternative (same draws and seed) and compare them. ``progress`` gets
    (draws done, draws of all alternatives) as the alternatives' runs advance.

    ``effect``: the measure of the frontier's effect axis, "successes" or an outcome every
    alternative declares (months in work, life years, QALYs, ...); ``cost``: "budget_costs"
    (discounted costs) or an outcome (a health-economic model's cost). The ICER between
    neighbours on the frontier is Δcost / Δeffect. Frontiers on every shared outcome are
    computed too (``Comparison.frontiers``)."""
    from socialinvest.runner import appraise

    knowledge = kb or default_knowledge_base()
    loaded = [(label, c if isinstance(c, LoadedCase) else LoadedCase.of(c)) for label, c in cases]
    if len(loaded) + with_do_nothing < 2:
        raise InputError(
            "",
            statement=msg("m_two_alternatives"),
        )
    first = loaded[0][1]
    for _, other in loaded[1:]:
        if other.case.price_year != first.case.price_year:
            raise InputError(
                msg("m_same_price_year", file=first.file, year=str(first.case.price_year)),
                file=other.file,
                field="price_year",
                value=other.case.price_year,
            )
    if draws > 1 and seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**32)  # type: ignore[operator]
    names = _unique_names([label or c.case.name for label, c in loaded], [c for _, c in loaded])
    total = draws * len(loaded)
    alternatives = []
    for i, (label, (_, c)) in enumerate(zip(names, loaded, strict=True)):
        step = None if progress is None else _offset(progress, i * draws, total)
        alternatives.append(
            _alternative(label, c, appraise(c, knowledge, draws=draws, seed=seed, progress=step))
        )
        if progress is not None and draws == 1:
            progress(i + 1, total)
    if with_do_nothing:
        alternatives.append(
            Alternative(
                name=DO_NOTHING,
                file=None,
                npv=0.0,
                npv_by_actor=dict.fromkeys(ACTORS, 0.0),
                discounted_costs=0.0,
                discounted_gains=0.0,
                additional_successes=0.0,
                npv_draws=np.zeros(draws),
                do_nothing=True,
            )
        )

    def axis(measure: str, role: str) -> list[float]:
        values = [a.measure(measure) for a in alternatives]
        missing = [a for a, v in zip(alternatives, values, strict=True) if v is None]
        if missing:
            known = sorted(
                set.intersection(*(set(a.outcomes) for a in alternatives if not a.do_nothing))
            )
            default = SUCCESSES if role == "effect" else BUDGET_COSTS
            raise InputError(
                f"{default} or an outcome every alternative declares "
                f"({', '.join(known) or 'none'})",
                file=missing[0].file,
                field=f"--{role}",
                value=measure,
            )
        return [float(v) for v in values if v is not None]

    names_ = [a.name for a in alternatives]
    frontier = efficiency_frontier(axis(cost, "cost"), axis(effect, "effect"), names_)
    shared = [
        o
        for o in (alternatives[0].outcomes if not alternatives[0].do_nothing else {})
        if all(a.do_nothing or o in a.outcomes for a in alternatives) and o != cost
    ]
    frontiers = {
        o: efficiency_frontier(axis(cost, "cost"), axis(o, "effect"), names_) for o in shared
    }
    return Comparison(
        name=name,
        price_year=first.case.price_year,
        currency=first.case.currency,
        draws=draws,
        seed=seed if draws > 1 else None,
        alternatives=alternatives,
        frontier=frontier,
        notes=_notes([c for _, c in loaded]),
        knowledge_base_version=knowledge.version,
        knowledge_base_digest=knowledge.digest,
        effect=effect,
        cost=cost,
        frontiers=frontiers,
    )


def _unique_names(names: list[str], loaded: list[LoadedCase]) -> list[str]:
    out = []
    for i, name in enumerate(names):
        if names.count(name) > 1:
            name = f"{name} ({Path(loaded[i].file).name})"
        if name in out:
            name = f"{name} #{i + 1}"
        out.append(name)
    return out


def _notes(loaded: list[LoadedCase]) -> list[dict[str, Any]]:
    """Differences between the alternatives' set-ups that a reader should know about."""
    notes: list[dict[str, Any]] = []
    checks: dict[str, Callable[[Case], Any]] = {
        "horizon_years": lambda c: c.horizon_years,
        "start_year": lambda c: c.first_year,
        "target_group": lambda c: c.target_group.description.strip(),
        "model": lambda c: c.model,
    }
    for key, get in checks.items():
        values = [get(c.case) for c in loaded]
        if len(set(values)) > 1:
            notes.append(
                {"differs": key, "values": {c.file: v for c, v in zip(loaded, values, strict=True)}}
            )
    return notes
