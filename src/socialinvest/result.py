"""The result of a run: immutable arrays with named axes plus everything needed to trace them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from socialinvest.engine.appraisal import NO_BREAK_EVEN, Appraisal, break_even_index
from socialinvest.engine.success_rate import Flows
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


@dataclass(frozen=True)
class Result:
    """One appraised case. Arrays keep the draw axis; the ``point`` helpers give means."""

    case: Case
    file: str
    case_sha256: str
    flows: Flows
    appraisal: Appraisal
    consequences: list[ConsequenceInfo]
    costs: list[dict[str, Any]]
    adjustments: dict[str, float]
    discounting: dict[str, str]
    provenance_entries: list[dict[str, Any]]
    price_index_used: list[dict[str, Any]]
    knowledge_base_version: str
    knowledge_base_digest: str
    extra: dict[str, Any] = field(default_factory=dict)

    # -- shape and labels ----------------------------------------------------------------------
    @property
    def draws(self) -> int:
        return int(self.appraisal.npv.shape[0])

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
        return float(self.appraisal.npv_total.mean())

    def npv_by_actor(self) -> dict[str, float]:
        return dict(zip(ACTORS, self.appraisal.npv.mean(axis=0).tolist(), strict=True))

    def cumulative_by_actor(self) -> np.ndarray:
        """[A, Y] mean cumulative discounted net per actor."""
        return np.asarray(self.appraisal.cumulative.mean(axis=0))

    def cumulative_total(self) -> np.ndarray:
        return np.asarray(self.appraisal.cumulative_total.mean(axis=0))

    def _year_of(self, index: int) -> int | None:
        return None if index == NO_BREAK_EVEN else self.years[index]

    @property
    def break_even_year(self) -> int | None:
        return self._year_of(int(break_even_index(self.cumulative_total())))

    def actors_involved(self) -> list[bool]:
        """Whether each actor has any gain or cost at all (else its ratios mean nothing)."""
        both = np.abs(self.flows.gains).sum(axis=(0, 2, 3)) + np.abs(self.flows.costs).sum(
            axis=(0, 2, 3)
        )
        return [bool(v > 0) for v in both]

    def break_even_year_by_actor(self) -> dict[str, int | None]:
        idx = break_even_index(self.cumulative_by_actor())
        involved = self.actors_involved()
        return {
            a: (self._year_of(int(i)) if involved[k] else None)
            for k, (a, i) in enumerate(zip(ACTORS, idx, strict=True))
        }

    def discounted_gains_by_actor(self) -> dict[str, float]:
        return dict(zip(ACTORS, self.appraisal.discounted_gains.mean(axis=0).tolist(), strict=True))

    def discounted_costs_by_actor(self) -> dict[str, float]:
        return dict(zip(ACTORS, self.appraisal.discounted_costs.mean(axis=0).tolist(), strict=True))

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
        return float(self.flows.additional_successes.mean())

    @property
    def cost_per_additional_success(self) -> float | None:
        successes = self.additional_successes
        costs = sum(self.discounted_costs_by_actor().values())
        return costs / successes if successes > 0 else None

    @property
    def break_even_basis(self) -> str:
        return "absolute_effect" if self.case.success.absolute_effect is not None else "rate_with"

    def break_even_success_rate(self) -> dict[str, Any]:
        """The success rate with the intervention at which NPV = 0, per actor and in total.

        With an absolute effect (no separate rates) it is the break-even additional success rate.
        None: the actor never breaks even (no gains that grow with success).
        """
        baseline = self.case.success.rate_without or 0.0
        if self.break_even_basis == "absolute_effect":
            baseline = 0.0
        total = (
            float(np.nanmean(self.appraisal.break_even_effect_total))
            if np.isfinite(self.appraisal.break_even_effect_total).any()
            else math.nan
        )
        by = self.appraisal.break_even_effect
        involved = self.actors_involved()
        out = {}
        for k, a in enumerate(ACTORS):
            col = by[:, k]
            finite = involved[k] and bool(np.isfinite(col).any())
            out[a] = _num(baseline + float(np.nanmean(col))) if finite else None
        return {
            "basis": self.break_even_basis,
            "total": _num(baseline + total),
            "by_actor": out,
        }

    # -- tables --------------------------------------------------------------------------------
    def _active_pairs(self) -> list[tuple[int, int]]:
        both = np.abs(self.flows.gains).sum(axis=(0, 3)) + np.abs(self.flows.costs).sum(axis=(0, 3))
        return [(a, r) for a in range(len(ACTORS)) for r in range(len(AREAS)) if both[a, r] > 0]

    def yearly_rows(self) -> list[dict[str, Any]]:
        """Long table of mean flows: one row per year × actor × area with any flow."""
        gains = self.flows.gains.mean(axis=0)
        costs = self.flows.costs.mean(axis=0)
        disc = self.appraisal.discounted_net.mean(axis=0)
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
        gains = self.flows.gains.mean(axis=0).sum(axis=1)
        costs = self.flows.costs.mean(axis=0).sum(axis=1)
        disc = self.appraisal.discounted_net.mean(axis=0).sum(axis=1)
        return {"gains": gains, "costs": costs, "net": gains - costs, "discounted_net": disc}

    def by_committee(self) -> list[dict[str, Any]]:
        if not self.case.committees:
            return []
        disc = self.appraisal.discounted_net.mean(axis=0)  # [A, R, Y]
        npv_area = disc.sum(axis=2)  # [A, R]
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

    def to_frame(self, draws: bool = False) -> pd.DataFrame:
        """The yearly table as a pandas DataFrame (means; every draw with ``draws=True``)."""
        import pandas as pd

        if not draws:
            return pd.DataFrame(self.yearly_rows())
        pairs = self._active_pairs()
        records = []
        g, c, dn = self.flows.gains, self.flows.costs, self.appraisal.discounted_net
        for d in range(self.draws):
            for y, year in enumerate(self.years):
                for a, r in pairs:
                    records.append(
                        (
                            d,
                            year,
                            ACTORS[a],
                            AREAS[r],
                            g[d, a, r, y],
                            c[d, a, r, y],
                            g[d, a, r, y] - c[d, a, r, y],
                            dn[d, a, r, y],
                        )
                    )
        return pd.DataFrame.from_records(
            records,
            columns=["draw", "year", "actor", "area", "gains", "costs", "net", "discounted_net"],
        )

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
                "factors_costs": np.asarray(self.appraisal.discount_costs).tolist(),
                "factors_gains": np.asarray(self.appraisal.discount_gains).tolist(),
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
            "provenance": {
                "package_version": __version__,
                "knowledge_base_version": self.knowledge_base_version,
                "knowledge_base_digest": self.knowledge_base_digest,
                "case_file": self.file,
                "case_sha256": self.case_sha256,
                "entries": self.provenance_entries,
                "price_index": self.price_index_used,
            },
        }
