"""Every input of a case file with its status (published, study, local data, assumption).

The case file's optional ``inputs`` section gives the status, and optionally the source, of
its inputs by path: ``success.rate_with``, ``intervention.costs[0]``, ``consequences[1]``, or a
shorter path for a group (``intervention.costs`` for every cost line, ``success`` for every
success input). The longest given path that an input's path starts with applies. An input
without one has no status: the report shows it as such and counts it with the assumptions
(a value whose origin is not stated is an assumption to the reader), and
``socialinvest validate --strict`` lists it.

Knowledge-base values and a consequence's own price carry their own status already (official,
secondary, assumption) and are shown with it; they are not listed here. Success rates taken from
the knowledge base's effect library (``success.from_study``) are estimates from a study unless the
``inputs`` section says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from socialinvest.case.models import Case

STATUSES = ("published", "study", "local", "assumption")


@dataclass(frozen=True)
class InputItem:
    """One input: its path in the case file, the reader's label (``label_key``: a catalogue
    key, with ``name`` for the named ones), its status (None: not given) and source."""

    path: str
    label_key: str
    name: str | None
    status: str | None
    source: str | None


def _paths(case: Case) -> list[tuple[str, str, str | None]]:
    """(path, label key, name) of every input the case gives."""
    out: list[tuple[str, str, str | None]] = [("target_group.cohorts", "n_in_cohorts", None)]
    for i, cost in enumerate(case.intervention.costs):
        out.append((f"intervention.costs[{i}]", "n_in_cost", cost.name))
    if case.success is not None:
        for key in ("rate_with", "rate_without", "absolute_effect", "timing"):
            if getattr(case.success, key, None) is not None:
                out.append((f"success.{key}", f"n_in_success_{key}", None))
    for i, c in enumerate(case.consequences):
        out.append((f"consequences[{i}]", "n_in_consequence", c.name or c.ref))
    adjustments = case.adjustments
    if float(getattr(adjustments.attribution, "point", adjustments.attribution) or 0) != 0:
        out.append(("adjustments.attribution", "n_in_attribution", None))
    if float(getattr(adjustments.drop_off, "point", adjustments.drop_off) or 0) != 0:
        out.append(("adjustments.drop_off", "n_in_drop_off", None))
    st = case.state_transition
    if st is not None:
        out.append(("state_transition.start", "n_in_start", None))
        for name, value in st.parameters.items():
            if not isinstance(value, str):  # a formula is computed from the others
                out.append((f"state_transition.parameters.{name}", "n_in_parameter", name))
        out.append(("state_transition.transitions", "n_in_transitions", None))
        out.append(("state_transition.intervention_effect", "n_in_effect", None))
        for i, sc in enumerate(st.consequences):
            label = sc.name or sc.ref or sc.state
            out.append((f"state_transition.consequences[{i}]", "n_in_consequence", label))
    return out


def _matches(path: str, given: str) -> bool:
    return path == given or path.startswith(given + ".") or path.startswith(given + "[")


def case_inputs(case: Case) -> list[InputItem]:
    """Every input of ``case`` with the status the case file gives it (or None)."""
    from socialinvest.case.models import InputStatus

    given = case.inputs or {}
    study = getattr(case.success, "from_study", None) if case.success is not None else None
    items = []
    for path, key, name in _paths(case):
        found = [g for g in given if _matches(path, g)]
        status = source = None
        if found:
            entry = given[max(found, key=len)]
            if isinstance(entry, InputStatus):
                status, source = entry.status, entry.source
            else:
                status = entry
        elif study and path in ("success.rate_with", "success.rate_without"):
            # rates taken from the knowledge base's effect library are estimates from a study
            status, source = "study", f"effects/{study}"
        items.append(InputItem(path, key, name, status, source))
    return items


def status_counts(items: list[InputItem]) -> dict[str, int]:
    """How many inputs have each status; "none" for those without one."""
    counts = {s: 0 for s in (*STATUSES, "none")}
    for item in items:
        counts[item.status or "none"] += 1
    return counts


def unknown_paths(case: Case) -> list[str]:
    """Paths in the case's ``inputs`` section that name no input (a typo would otherwise give
    nothing a status, silently)."""
    paths = [p for p, _, _ in _paths(case)]
    return [g for g in (case.inputs or {}) if not any(_matches(p, g) for p in paths)]
