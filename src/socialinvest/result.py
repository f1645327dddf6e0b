"""The result of a run: immutable arrays with named axes plus everything needed to trace them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from socialinvest.engine.appraisal import NO_BREAK_EVEN, break_even_index
from socialinvest.engine.summary import Summary
from socialinvest.vocabulary import ACTORS, AREAS

if TYPE_CHECKING:
    import pandas as pd

    from socialinvest.case.models import Case


@dataclass(frozen=True)
class ConsequenceInfo:
    """A priced consequence as used in the run (price per unit in the case's price year)."""

    name: str
    ref: str | None
    unit: str
    area: str
    direction: str
    price_per_unit: float
    status: str
    source: str
    units_per_success: tuple[float, ...]
    name_da: str | None = None


def _num(value: float) -> float | None:
    """A JSON-safe float: None for nan/inf."""
    v = float(value)
    return v if math.isfinite(v) else None


def _break_even_effect(costs: np.ndarray, gains_per_effect: np.ndarray) -> np.ndarray:
    """Δs* = C / G where G > 0; 0 with nothing to pay back; nan where it never breaks even."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        solved = costs / np.where(gains_per_effect > 0, gains_per_effect, 1.0)
    return np.where(costs <= 0, 0.0, np.where(gains_per_effect > 0, solved, np.nan))


@dataclass(frozen=True)
class Result:
    """One appraised case: a Summary over draws plus everything needed to trace it.

    Point values are means over draws (the value itself for one draw); ratios are ratios of means.
    """

    case: Case
    file: str
    case_sha256: str
    summary: Summary
    consequences: list[ConsequenceInfo]
    costs: list[dict[str, Any]]
    adjustments: dict[str, float]
    discounting: dict[str, str]
    provenance_entries: list[dict[str, Any]]
    price_index_used: list[dict[str, Any]]
    knowledge_base_version: str
    knowledge_base_digest: str
    run: dict[str, Any] = field(default_factory=dict)
    # state-transition cases: per-arm totals of each outcome, name -> [2 arms, D draws]
    outcomes: dict[str, np.ndarray] | None = None

    # -- shape and labels ----------------------------------------------------------------------
    @property
    def draws(self) -> int:
        return self.summary.draws

    @property
    def years(self) -> list[int]:
        return self.case.years

    def committee_of(self, area: str) -> str | None:
        for name, areas in (self.case.committees or {}).items():
            if area in areas:
                return name
        return None

    # -- point values (means over draws) ---------------------------------------------------------
    @property
    def npv_total(self) -> float:
        return float(self.summary.npv_total.mean())

    def npv_by_actor(self) -> dict[str, float]:
        return dict(zip(ACTORS, self.summary.npv.mean(axis=0).tolist(), strict=True))

    def cumulative_by_actor(self) -> np.ndarray:
        """[A, Y] mean cumulative discounted net per actor."""
        return self.summary.cumulative_mean

    def cumulative_total(self) -> np.ndarray:
        return np.asarray(self.summary.cumulative_mean.sum(axis=0))

    def _year_of(self, index: int) -> int | None:
        return None if index == NO_BREAK_EVEN else self.years[index]

    @property
    def break_even_year(self) -> int | None:
        return self._year_of(int(break_even_index(self.cumulative_total())))

    def actors_involved(self) -> list[bool]:
        """Whether each actor has any gain or cost at all (else its ratios mean nothing)."""
        active = self.summary.active
        return [bool(active[k].any()) for k in range(len(ACTORS))]

    def break_even_year_by_actor(self) -> dict[str, int | None]:
        idx = break_even_index(self.cumulative_by_actor())
        involved = self.actors_involved()
        return {
            a: (self._year_of(int(i)) if involved[k] else None)
            for k, (a, i) in enumerate(zip(ACTORS, idx, strict=True))
        }

    def discounted_gains_by_actor(self) -> dict[str, float]:
        return dict(zip(ACTORS, self.summary.discounted_gains.mean(axis=0).tolist(), strict=True))

    def discounted_costs_by_actor(self) -> dict[str, float]:
        return dict(zip(ACTORS, self.summary.discounted_costs.mean(axis=0).tolist(), strict=True))

    @property
    def return_per_krone(self) -> float | None:
        costs = sum(self.discounted_costs_by_actor().values())
        gains = sum(self.discounted_gains_by_actor().values())
        return gains / costs if costs > 0 else None

    def return_per_krone_by_actor(self) -> dict[str, float | None]:
        g, c = self.discounted_gains_by_actor(), self.discounted_costs_by_actor()
        return {a: (g[a] / c[a] if c[a] > 0 else None) for a in ACTORS}

    @property
    def additional_successes(self) -> float:
        return float(self.summary.additional_successes.mean())

    @property
    def cost_per_additional_success(self) -> float | None:
        successes = self.additional_successes
        costs = sum(self.discounted_costs_by_actor().values())
        return costs / successes if successes > 0 else None

    @property
    def break_even_basis(self) -> str | None:
        success = self.case.success
        if success is None:
            return None
        return "absolute_effect" if success.absolute_effect is not None else "rate_with"

    def break_even_success_rate(self) -> dict[str, Any]:
        """The success rate with the intervention at which NPV = 0, per actor and in total.

        With an absolute effect (no separate rates) it is the break-even additional success rate.
        None: the actor never breaks even (no gains that grow with success). Over many draws it is
        the rate at which the mean NPV is 0.
        """
        s = self.summary
        if self.break_even_basis is None:
            return {"basis": None, "total": None, "by_actor": dict.fromkeys(ACTORS)}
        baseline = float(s.baseline.mean())
        costs = s.discounted_costs.mean(axis=0)
        gains = s.gains_per_effect.mean(axis=0)
        by = _break_even_effect(costs, gains)
        total = _break_even_effect(np.array(costs.sum()), np.array(gains.sum()))
        involved = self.actors_involved()
        return {
            "basis": self.break_even_basis,
            "total": _num(baseline + float(total)),
            "by_actor": {
                a: (_num(baseline + float(by[k])) if involved[k] else None)
                for k, a in enumerate(ACTORS)
            },
        }

    # -- tables --------------------------------------------------------------------------------
    def _active_pairs(self) -> list[tuple[int, int]]:
        active = self.summary.active
        return [(a, r) for a in range(len(ACTORS)) for r in range(len(AREAS)) if active[a, r]]

    def yearly_rows(self) -> list[dict[str, Any]]:
        """Long table of mean flows: one row per year × actor × area with any flow."""
        gains = self.summary.gains_mean
        costs = self.summary.costs_mean
        disc = self.summary.discounted_net_mean
        rows = []
        pairs = self._active_pairs()
        for y, year in enumerate(self.years):
            for a, r in pairs:
                row: dict[str, Any] = {
                    "year": year,
                    "actor": ACTORS[a],
                    "area": AREAS[r],
                    "gains": float(gains[a, r, y]),
                    "costs": float(costs[a, r, y]),
                    "net": float(gains[a, r, y] - costs[a, r, y]),
                    "discounted_net": float(disc[a, r, y]),
                }
                if self.case.committees:
                    row["committee"] = self.committee_of(AREAS[r])
                rows.append(row)
        return rows

    def yearly_by_actor(self) -> dict[str, np.ndarray]:
        """Mean gains, costs, net and discounted net per actor and year: arrays [A, Y]."""
        gains = self.summary.gains_mean.sum(axis=1)
        costs = self.summary.costs_mean.sum(axis=1)
        disc = self.summary.discounted_net_mean.sum(axis=1)
        return {"gains": gains, "costs": costs, "net": gains - costs, "discounted_net": disc}

    def by_committee(self) -> list[dict[str, Any]]:
        if not self.case.committees:
            return []
        npv_area = self.summary.discounted_net_mean.sum(axis=2)  # [A, R]
        names = [*self.case.committees, None]
        out = []
        for name in names:
            idx = [r for r, area in enumerate(AREAS) if self.committee_of(area) == name]
            values = npv_area[:, idx].sum(axis=1)
            if name is None and not np.any(values):
                continue
            out.append(
                {
                    "committee": name,
                    "areas": [AREAS[r] for r in idx] if name is not None else None,
                    "npv": float(values.sum()),
                    "npv_by_actor": dict(zip(ACTORS, values.tolist(), strict=True)),
                }
            )
        return out

    def to_frame(self) -> pd.DataFrame:
        """The yearly table (means over draws) as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.yearly_rows())

    def draws_frame(self) -> pd.DataFrame:
        """One row per draw: NPV per actor and in total, and the break-even year."""
        import pandas as pd

        s = self.summary
        frame = pd.DataFrame(s.npv, columns=[f"npv_{a}" for a in ACTORS])
        frame["npv_total"] = s.npv_total
        frame["break_even_year"] = [self._year_of(int(i)) for i in s.break_even_total]
        return frame

    # -- state-transition outcomes ----------------------------------------------------------------
    def outcome_table(self) -> dict[str, Any] | None:
        """Per-arm totals of each outcome, their difference and the ratios (means over draws;
        with intervals over draws when there are several)."""
        if self.outcomes is None:
            return None
        st = self.case.state_transition
        assert st is not None

        def spread(values: np.ndarray) -> dict[str, float]:
            q = np.quantile(values, [0.05, 0.5, 0.95])
            return {"p05": float(q[0]), "p50": float(q[1]), "p95": float(q[2])}

        table: dict[str, Any] = {}
        for name, per_arm in self.outcomes.items():
            difference = per_arm[1] - per_arm[0]
            row: dict[str, Any] = {
                "comparator": float(per_arm[0].mean()),
                "intervention": float(per_arm[1].mean()),
                "difference": float(difference.mean()),
            }
            if self.draws > 1:
                row["difference_interval"] = spread(difference)
            table[name] = row
        ratios: dict[str, Any] = {}
        for name, ratio in st.ratios.items():
            num = self.outcomes[ratio.numerator]
            den = self.outcomes[ratio.denominator]
            d_num, d_den = num[1] - num[0], den[1] - den[0]
            mean_den = float(d_den.mean())
            entry: dict[str, Any] = {
                "numerator": ratio.numerator,
                "denominator": ratio.denominator,
                "value": _num(float(d_num.mean()) / mean_den) if mean_den != 0 else None,
            }
            if self.draws > 1:
                with np.errstate(divide="ignore", invalid="ignore"):
                    per_draw = d_num / d_den
                entry["per_draw"] = (
                    spread(per_draw[np.isfinite(per_draw)]) if np.isfinite(per_draw).any() else None
                )
            ratios[name] = entry
        return {
            "arms": {"comparator": "comparator", "intervention": st.intervention_effect.name},
            "outcomes": table,
            "ratios": ratios,
        }

    # -- uncertainty ---------------------------------------------------------------------------
    def uncertainty(self) -> dict[str, Any] | None:
        """Distributions over draws (None for a single draw)."""
        if self.draws <= 1:
            return None
        s = self.summary

        def stats(values: np.ndarray) -> dict[str, float | None]:
            finite = values[np.isfinite(values)]
            if finite.size == 0:
                return {"mean": None, "sd": None, "p05": None, "p50": None, "p95": None}
            q = np.quantile(finite, [0.05, 0.5, 0.95])
            return {
                "mean": float(finite.mean()),
                "sd": float(finite.std(ddof=1)) if finite.size > 1 else 0.0,
                "p05": float(q[0]),
                "p50": float(q[1]),
                "p95": float(q[2]),
            }

        def npv_stats(values: np.ndarray) -> dict[str, Any]:
            return {"prob_positive": float((values > 0).mean()), **stats(values)}

        # counted at once over the draws (a Python loop over a million draws took seconds)
        year_list = self.years
        indexes, tally = np.unique(s.break_even_total, return_counts=True)
        counts: dict[str, int] = {
            ("none" if index == NO_BREAK_EVEN else str(year_list[index])): int(count)
            for index, count in zip(indexes.tolist(), tally.tolist(), strict=True)
        }
        years = {key: count / self.draws for key, count in counts.items()}
        ordered = {k: years[k] for k in sorted(years, key=lambda k: (k == "none", k))}
        with np.errstate(divide="ignore", invalid="ignore"):
            rpk = s.discounted_gains.sum(axis=1) / s.discounted_costs.sum(axis=1)
        be_total = s.baseline + _break_even_effect(
            s.discounted_costs.sum(axis=1), s.gains_per_effect.sum(axis=1)
        )
        be_by = s.baseline[:, None] + _break_even_effect(s.discounted_costs, s.gains_per_effect)
        involved = self.actors_involved()
        return {
            "draws": self.draws,
            "seed": self.run.get("seed"),
            "total": npv_stats(s.npv_total),
            "by_actor": {a: npv_stats(s.npv[:, k]) for k, a in enumerate(ACTORS)},
            "break_even_year": {"distribution": ordered},
            "return_per_krone": stats(rpk),
            "additional_successes": stats(s.additional_successes),
            "break_even_success_rate": {
                "total": {**stats(be_total), "prob_never": float(np.isnan(be_total).mean())},
                "by_actor": {
                    a: (
                        {**stats(be_by[:, k]), "prob_never": float(np.isnan(be_by[:, k]).mean())}
                        if involved[k]
                        else None
                    )
                    for k, a in enumerate(ACTORS)
                },
            },
        }

    # -- machine output ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The documented JSON structure (docs/output-format.md)."""
        from socialinvest import __version__

        case = self.case
        cum_a = self.cumulative_by_actor()
        cum_t = self.cumulative_total()
        return {
            "case": {"name": case.name, "file": self.file, "municipality": case.municipality},
            "currency": case.currency,
            "price_year": case.price_year,
            "start_year": case.first_year,
            "horizon_years": case.horizon_years,
            "draws": self.draws,
            "discounting": {
                **self.discounting,
                "factors_costs": self.summary.discount_costs.tolist(),
                "factors_gains": self.summary.discount_gains.tolist(),
            },
            "adjustments": self.adjustments,
            "npv": {"total": self.npv_total, "by_actor": self.npv_by_actor()},
            "discounted_gains": {
                "total": sum(self.discounted_gains_by_actor().values()),
                "by_actor": self.discounted_gains_by_actor(),
            },
            "discounted_costs": {
                "total": sum(self.discounted_costs_by_actor().values()),
                "by_actor": self.discounted_costs_by_actor(),
            },
            "break_even_year": self.break_even_year,
            "break_even_year_by_actor": self.break_even_year_by_actor(),
            "return_per_krone": self.return_per_krone,
            "return_per_krone_by_actor": self.return_per_krone_by_actor(),
            "additional_successes": self.additional_successes,
            "cost_per_additional_success": self.cost_per_additional_success,
            "break_even_success_rate": self.break_even_success_rate(),
            "by_committee": self.by_committee(),
            "cumulative_discounted_net": [
                {
                    "year": year,
                    "total": float(cum_t[y]),
                    **{a: float(cum_a[k, y]) for k, a in enumerate(ACTORS)},
                }
                for y, year in enumerate(self.years)
            ],
            "yearly": self.yearly_rows(),
            "consequences": [
                {
                    "name": c.name,
                    "ref": c.ref,
                    "unit": c.unit,
                    "area": c.area,
                    "direction": c.direction,
                    "price_per_unit": c.price_per_unit,
                    "status": c.status,
                    "source": c.source,
                    "units_per_success": list(c.units_per_success),
                }
                for c in self.consequences
            ],
            "costs": self.costs,
            "uncertainty": self.uncertainty(),
            "state_transition": self.outcome_table(),
            "provenance": {
                "package_version": __version__,
                "knowledge_base_version": self.knowledge_base_version,
                "knowledge_base_digest": self.knowledge_base_digest,
                "case_file": self.file,
                "case_sha256": self.case_sha256,
                "entries": self.provenance_entries,
                "price_index": self.price_index_used,
                "run": self.run,
            },
        }
