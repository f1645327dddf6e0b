"""The guided steps: which part of the case each step edits, form ↔ draft, and validation.

The *draft* is the case as plain data (what a case file holds). A step's form is read into the
draft's sections that step owns; keys the form does not show (a cost's own price year, a
discounting schedule for gains, adjustments) are kept as they were. The draft travels between
steps as YAML text in a hidden field, so the flow works without JavaScript and nothing typed is
lost: a step with an error is shown again with exactly what was typed and each error beside its
field.

Validation is the command line's: the draft's YAML text goes through the case loader (models and
cross-field checks) and the runner's reference resolution (:func:`validate_text`). A step is
validated before later steps are filled in: sections the user has not reached yet are stood in
for by a minimal valid *scaffold* that is never shown or saved; errors found there are ignored.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from socialinvest.errors import InputError
from socialinvest.vocabulary import ACTORS, AREAS
from socialinvest.web.steps.errors import FieldError, explain
from socialinvest.web.steps.fields import (
    format_list,
    format_number,
    get_path,
    parse_cell,
    parse_list,
    parse_number,
    parse_path,
    prune,
)

STEPS: tuple[str, ...] = (
    "settings",
    "target",
    "costs",
    "success",
    "consequences",
    "committees",
    "contract",
    "result",
)
# The top-level case sections each step edits.
SECTIONS: Mapping[str, tuple[str, ...]] = {
    "settings": (
        "name",
        "description",
        "municipality",
        "price_year",
        "start_year",
        "horizon_years",
        "discounting",
    ),
    "target": ("target_group",),
    "costs": ("intervention",),
    "success": ("success",),
    "consequences": ("consequences",),
    "committees": ("committees",),
    "contract": ("contract",),
    "result": (),
}
COST_TYPES: tuple[str, ...] = ("per_participant", "per_participant_period", "fixed", "one_off")
COST_FIELDS: Mapping[str, tuple[str, ...]] = {
    "per_participant": ("spread_years",),
    "per_participant_period": ("period", "periods"),
    "fixed": ("first_year", "last_year"),
    "one_off": ("year",),
}
PERIODS: tuple[str, ...] = ("week", "month", "quarter", "year")
ACTIVITY_UNITS: tuple[str, ...] = ("day", "night", "week", "month", "year", "person", "occurrence")
PRICE_UNITS: tuple[str, ...] = (
    "DKK/day",
    "DKK/night",
    "DKK/week",
    "DKK/month",
    "DKK/year",
    "DKK/person",
    "DKK",
)
STATUSES: tuple[str, ...] = ("assumption", "secondary", "official")
# The kinds of distribution the success-rate fields offer, and the parameters each one takes.
DIST_PARAMS: Mapping[str, tuple[str, ...]] = {
    "beta": ("mean", "sd"),
    "pert": ("min", "mode", "max"),
    "triangular": ("min", "mode", "max"),
    "uniform": ("min", "max"),
    "normal": ("mean", "sd"),
    "lognormal": ("mean", "sd"),
    "gamma": ("mean", "sd"),
}
WIDGET_PARAMS: tuple[str, ...] = ("mean", "sd", "min", "mode", "max")
UNCERTAIN_FIELDS: tuple[str, ...] = (
    "success.rate_with",
    "success.rate_without",
    "success.absolute_effect",
)

Form = Mapping[str, Sequence[str]]
Draft = dict[str, Any]


def step_of(field_path: str) -> str:
    """The step that edits a field (by its top-level section); 'result' for the rest."""
    top = parse_path(field_path)[0] if field_path else ""
    for step, sections in SECTIONS.items():
        if top in sections:
            return step
    return "result"


# -- draft ↔ text ---------------------------------------------------------------------------------
def dump(draft: Draft) -> str:
    """The draft as case-file text (YAML, keys in the order the steps fill them)."""
    return yaml.safe_dump(prune(draft), sort_keys=False, allow_unicode=True, width=100)


def load(text: str) -> Draft:
    """A draft from case-file text; an empty draft when the text holds no mapping."""
    try:
        data = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def new_draft(latest_price_year: int) -> Draft:
    """The settings a new case starts with (shown, and changeable, in the first step)."""
    return {
        "price_year": latest_price_year,
        "horizon_years": 10,
        "discounting": {"schedule": "discounting/finansministeriet", "convention": "start"},
    }


# -- validation ---------------------------------------------------------------------------------
def validate_text(text: str) -> None:
    """Raise the CLI's InputError for the first mistake in a case text (models, checks and
    knowledge-base references), or return when the case is valid."""
    from socialinvest import service

    service.validate(service.load_text(text, "case.yaml"))


def _first_year(draft: Draft) -> int:
    for key in ("start_year", "price_year"):
        value = draft.get(key)
        if isinstance(value, int) and 1900 <= value <= 2200:
            return value
    return dt.date.today().year


def _scaffold(draft: Draft, upto: str) -> Draft:
    """The draft with stand-ins for the sections it lacks, except those of step ``upto``."""
    full = copy.deepcopy(draft)
    if upto == "result":  # the whole case: no stand-ins
        return full
    later = [s for s in STEPS if s != upto]
    first = _first_year(full)
    stand_ins: dict[str, Any] = {
        "name": "-",
        "price_year": first,
        "horizon_years": 10,
        "target_group": {"description": "-", "cohorts": [{"year": first, "intake": 1}]},
        "intervention": {"name": "-", "duration_years": 1, "costs": []},
        "success": {"measure": "-", "absolute_effect": 0.1},
    }
    for step in later:
        for section in SECTIONS[step]:
            if section in stand_ins and section not in full:
                full[section] = stand_ins[section]
    if full.get("model") == "state_transition":
        full.pop("success", None)
    return full


# Valid stand-in values for a field with an error, so validation can go on to find the next
# error of the same step (the loader reports one error at a time).
def _stand_in(name: str | int, first: int) -> tuple[bool, Any]:
    table: dict[str, Any] = {
        "rate_with": 0.5,
        "rate_without": 0.0,
        "absolute_effect": 0.1,
        "intake": 1,
        "amount": 0,
        "periods": 1,
        "spread_years": 1,
        "duration_years": 1,
        "year": first,
        "first_year": first,
        "last_year": first,
        "measure": "-",
        "name": "-",
        "description": "-",
        "value": 0,
        "units_per_success": [0],
        "area": "other",
    }
    if isinstance(name, int):
        return True, 0
    if name in table:
        return True, table[name]
    if name in {"timing", "weeks_on_support", "municipality", "start_year", "unit"}:
        return True, None  # optional: leave it out
    return False, None


def _set(data: Any, path: tuple[str | int, ...], value: Any) -> bool:
    current = data
    for part in path[:-1]:
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and part < len(current):
            current = current[part]
        else:
            return False
    last = path[-1]
    if isinstance(current, dict) and isinstance(last, str):
        if value is None:
            current.pop(last, None)
        else:
            current[last] = value
        return True
    if isinstance(current, list) and isinstance(last, int) and last < len(current):
        current[last] = value if value is not None else 0
        return True
    return False


def check(
    draft: Draft,
    lang: str,
    upto: str = "result",
    validator: Callable[[str], None] = validate_text,
    limit: int = 8,
) -> list[FieldError]:
    """Every error found in the steps up to ``upto`` (at most ``limit``), each in the page's
    language with the field it belongs to. Empty when those steps are valid."""
    trial = _scaffold(draft, upto)
    first = _first_year(trial)
    found: list[FieldError] = []
    allowed = set(STEPS[: STEPS.index(upto) + 1]) if upto in STEPS else set(STEPS)
    for _ in range(limit):
        try:
            validator(dump(trial))
            return found
        except InputError as error:
            explained = explain(error, lang)
            if step_of(explained.field) not in allowed and upto != "result":
                return found  # a later step's business
            if any(f.field == explained.field for f in found):
                return found  # its stand-in did not help: one sentence per field is enough
            found.append(explained)
            path = parse_path(explained.field) if explained.field else ()
            ok, stand_in = _stand_in(path[-1], first) if path else (False, None)
            if not ok or not _set(trial, path, stand_in):
                return found
    return found


# -- reading a step's form ----------------------------------------------------------------------
def one(form: Form, key: str) -> str:
    values = form.get(key) or ()
    return str(values[0]) if values else ""


def _text(form: Form, key: str) -> str | None:
    value = one(form, key).strip()
    return value or None


def _rows(form: Form, key: str) -> int:
    raw = one(form, f"rows.{key}")
    return int(raw) if raw.isdigit() else 0


def _orig(form: Form, prefix: str, old: list[Any]) -> dict[str, Any]:
    raw = one(form, f"{prefix}.__orig")
    if raw.isdigit() and int(raw) < len(old) and isinstance(old[int(raw)], dict):
        return copy.deepcopy(old[int(raw)])
    return {}


def _uncertain(form: Form, key: str, lang: str) -> Any:
    kind = one(form, f"{key}.__kind") or "value"
    if kind == "value" or kind not in DIST_PARAMS:
        return parse_number(one(form, key), lang)
    spec: dict[str, Any] = {"dist": kind}
    for param in DIST_PARAMS[kind]:
        value = parse_number(one(form, f"{key}.__{param}"), lang)
        if value is not None:
            spec[param] = value
    return spec


def _empty(form: Form, prefix: str, names: Sequence[str]) -> bool:
    return all(not one(form, f"{prefix}.{n}").strip() for n in names)


def read(step: str, form: Form, draft: Draft, lang: str) -> Draft:
    """The draft with ``step``'s sections replaced by what the form holds."""
    new = copy.deepcopy(draft)
    reader = _READERS.get(step)
    if reader is not None:
        reader(form, new, lang)
    return prune(new)  # type: ignore[no-any-return]


def _read_settings(form: Form, d: Draft, lang: str) -> None:
    for key in ("name", "description", "municipality"):
        d[key] = _text(form, key)
    for key in ("price_year", "start_year", "horizon_years"):
        d[key] = parse_number(one(form, key), lang)
    old = d.get("discounting") if isinstance(d.get("discounting"), dict) else {}
    disc: dict[str, Any] = dict(old or {})
    mode = one(form, "discounting.__mode") or "schedule"
    if mode == "rate":
        disc.pop("schedule", None)
        disc["rate"] = parse_number(one(form, "discounting.rate"), lang)
    else:
        disc.pop("rate", None)
        disc["schedule"] = _text(form, "discounting.schedule")
    disc["convention"] = _text(form, "discounting.convention") or "start"
    d["discounting"] = disc


def _read_target(form: Form, d: Draft, lang: str) -> None:
    old = d.get("target_group") if isinstance(d.get("target_group"), dict) else {}
    group: dict[str, Any] = dict(old or {})
    group["description"] = _text(form, "target_group.description")
    old_rows = group.get("cohorts") if isinstance(group.get("cohorts"), list) else []
    cohorts = []
    for i in range(_rows(form, "target_group.cohorts")):
        prefix = f"target_group.cohorts[{i}]"
        if one(form, f"{prefix}.__remove") or _empty(form, prefix, ("year", "intake")):
            continue
        row = _orig(form, prefix, old_rows or [])
        row["year"] = parse_number(one(form, f"{prefix}.year"), lang)
        row["intake"] = parse_number(one(form, f"{prefix}.intake"), lang)
        cohorts.append(row)
    group["cohorts"] = cohorts
    d["target_group"] = group


def _read_costs(form: Form, d: Draft, lang: str) -> None:
    old = d.get("intervention") if isinstance(d.get("intervention"), dict) else {}
    part: dict[str, Any] = dict(old or {})
    part["name"] = _text(form, "intervention.name")
    part["description"] = _text(form, "intervention.description")
    part["duration_years"] = parse_number(one(form, "intervention.duration_years"), lang)
    old_rows = part.get("costs") if isinstance(part.get("costs"), list) else []
    costs = []
    # a row is empty when nothing was typed into it (its selects always have a value)
    every = ("name", "amount", "spread_years", "periods", "first_year", "last_year", "year")
    for i in range(_rows(form, "intervention.costs")):
        prefix = f"intervention.costs[{i}]"
        if one(form, f"{prefix}.__remove") or _empty(form, prefix, every):
            continue
        row = _orig(form, prefix, old_rows or [])
        kind = one(form, f"{prefix}.type") or "one_off"
        for names in COST_FIELDS.values():
            for n in names:
                row.pop(n, None)
        row["name"] = _text(form, f"{prefix}.name")
        row["type"] = kind
        row["amount"] = parse_number(one(form, f"{prefix}.amount"), lang)
        row["actor"] = _text(form, f"{prefix}.actor") or "kommune"
        row["area"] = _text(form, f"{prefix}.area")
        for n in COST_FIELDS.get(kind, ()):
            raw = one(form, f"{prefix}.{n}")
            row[n] = raw.strip() or None if n == "period" else parse_number(raw, lang)
        costs.append(row)
    part["costs"] = costs
    d["intervention"] = part


def _read_success(form: Form, d: Draft, lang: str) -> None:
    old = d.get("success") if isinstance(d.get("success"), dict) else {}
    part: dict[str, Any] = dict(old or {})
    part["measure"] = _text(form, "success.measure")
    mode = one(form, "success.__mode") or "rates"
    for key in ("rate_with", "rate_without", "absolute_effect"):
        part.pop(key, None)
    if mode == "absolute":
        part["absolute_effect"] = _uncertain(form, "success.absolute_effect", lang)
    else:
        part["rate_with"] = _uncertain(form, "success.rate_with", lang)
        part["rate_without"] = _uncertain(form, "success.rate_without", lang)
    timing = one(form, "success.timing")
    if timing.strip().startswith("{"):
        part["timing"] = parse_cell(timing)
    else:
        part["timing"] = parse_list(timing, lang)
    d["success"] = part


def _read_consequences(form: Form, d: Draft, lang: str) -> None:
    old_rows = d.get("consequences") if isinstance(d.get("consequences"), list) else []
    rows = []
    for i in range(_rows(form, "consequences")):
        prefix = f"consequences[{i}]"
        if one(form, f"{prefix}.__remove") or _empty(
            form, prefix, ("ref", "units_per_success", "price.value", "name")
        ):
            continue
        row = _orig(form, prefix, old_rows or [])
        row["name"] = _text(form, f"{prefix}.name")
        row["unit"] = _text(form, f"{prefix}.unit")
        row["units_per_success"] = parse_list(one(form, f"{prefix}.units_per_success"), lang)
        row["weeks_on_support"] = parse_number(one(form, f"{prefix}.weeks_on_support"), lang)
        row["area"] = _text(form, f"{prefix}.area")
        if (one(form, f"{prefix}.__mode") or "ref") == "price":
            row.pop("ref", None)
            old_price = row.get("price") if isinstance(row.get("price"), dict) else {}
            price: dict[str, Any] = dict(old_price or {})
            price["value"] = parse_number(one(form, f"{prefix}.price.value"), lang)
            price["unit"] = _text(form, f"{prefix}.price.unit")
            price["price_year"] = parse_number(one(form, f"{prefix}.price.price_year"), lang)
            price["area"] = _text(form, f"{prefix}.price.area")
            price["direction"] = _text(form, f"{prefix}.price.direction") or "expense"
            price["actor_split"] = {
                a: v
                for a in ACTORS
                if (v := parse_number(one(form, f"{prefix}.price.actor_split.{a}"), lang))
                is not None
            }
            price["source"] = _text(form, f"{prefix}.price.source")
            price["status"] = _text(form, f"{prefix}.price.status") or "assumption"
            row["price"] = price
        else:
            row.pop("price", None)
            row["ref"] = _text(form, f"{prefix}.ref")
        rows.append(row)
    d["consequences"] = rows


def _read_committees(form: Form, d: Draft, lang: str) -> None:
    committees: dict[str, Any] = {}
    for i in range(_rows(form, "committees")):
        prefix = f"committees[{i}]"
        name = one(form, f"{prefix}.name").strip()
        areas = [a for a in form.get(f"{prefix}.areas") or () if a]
        if one(form, f"{prefix}.__remove") or (not name and not areas):
            continue
        committees[name or "?"] = areas
    d["committees"] = committees or None


def _read_contract(form: Form, d: Draft, lang: str) -> None:
    raw = one(form, "contract")
    if not raw.strip():
        d["contract"] = None
        return
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        value = raw  # the case model names it: "contract: expected a mapping of fields"
    d["contract"] = value


_READERS: dict[str, Callable[[Form, Draft, str], None]] = {
    "settings": _read_settings,
    "target": _read_target,
    "costs": _read_costs,
    "success": _read_success,
    "consequences": _read_consequences,
    "committees": _read_committees,
    "contract": _read_contract,
}


# -- showing a step's form ----------------------------------------------------------------------
@dataclass
class Values:
    """What a step's fields show: text by field name, and the number of rows of each list."""

    fields: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    def many(self, name: str) -> list[str]:
        return self.lists.get(name, [])

    def rows(self, name: str) -> int:
        raw = self.fields.get(f"rows.{name}", "0")
        return int(raw) if raw.isdigit() else 0


def from_form(form: Form) -> Values:
    """The values exactly as submitted (shown again when the step has an error)."""
    values = Values()
    for key, items in form.items():
        items = list(items)
        values.fields[key] = str(items[0]) if items else ""
        values.lists[key] = [str(v) for v in items]
    return values


def _put_uncertain(values: Values, key: str, value: Any, lang: str) -> None:
    if (
        isinstance(value, dict)
        and value.get("dist") in DIST_PARAMS
        and set(value)
        <= {
            "dist",
            *DIST_PARAMS[str(value["dist"])],
        }
    ):
        values.fields[f"{key}.__kind"] = str(value["dist"])
        for param in DIST_PARAMS[str(value["dist"])]:
            values.fields[f"{key}.__{param}"] = format_number(value.get(param), lang)
    else:
        values.fields[f"{key}.__kind"] = "value"
        values.fields[key] = format_number(value, lang)


def from_draft(step: str, draft: Draft, lang: str) -> Values:
    """The values of ``step``'s fields taken from the draft."""
    v = Values()
    f = v.fields

    def put(name: str, value: Any) -> None:
        f[name] = format_number(value, lang)

    if step == "settings":
        for key in ("name", "description", "municipality", "price_year", "start_year"):
            put(key, draft.get(key))
        put("horizon_years", draft.get("horizon_years"))
        disc = draft.get("discounting") or {}
        f["discounting.__mode"] = "rate" if "rate" in disc else "schedule"
        put("discounting.rate", disc.get("rate"))
        put("discounting.schedule", disc.get("schedule", "discounting/finansministeriet"))
        put("discounting.convention", disc.get("convention", "start"))
    elif step == "target":
        group = draft.get("target_group") or {}
        put("target_group.description", group.get("description"))
        cohorts = group.get("cohorts") or []
        for i, row in enumerate(cohorts):
            prefix = f"target_group.cohorts[{i}]"
            f[f"{prefix}.__orig"] = str(i)
            put(f"{prefix}.year", row.get("year"))
            put(f"{prefix}.intake", row.get("intake"))
        f["rows.target_group.cohorts"] = str(max(len(cohorts), 1))
    elif step == "costs":
        part = draft.get("intervention") or {}
        for key in ("name", "description", "duration_years"):
            put(f"intervention.{key}", part.get(key))
        costs = part.get("costs") or []
        for i, row in enumerate(costs):
            prefix = f"intervention.costs[{i}]"
            f[f"{prefix}.__orig"] = str(i)
            for key in (
                "name",
                "type",
                "amount",
                "actor",
                "area",
                *COST_FIELDS.get(str(row.get("type")), ()),
            ):
                put(f"{prefix}.{key}", row.get(key))
        f["rows.intervention.costs"] = str(max(len(costs), 1))
    elif step == "success":
        part = draft.get("success") or {}
        put("success.measure", part.get("measure"))
        absolute = "absolute_effect" in part
        f["success.__mode"] = "absolute" if absolute else "rates"
        for key in ("rate_with", "rate_without", "absolute_effect"):
            _put_uncertain(v, f"success.{key}", part.get(key), lang)
        timing = part.get("timing")
        f["success.timing"] = format_list(timing, lang) if timing is not None else ""
    elif step == "consequences":
        rows = draft.get("consequences") or []
        for i, row in enumerate(rows):
            prefix = f"consequences[{i}]"
            f[f"{prefix}.__orig"] = str(i)
            f[f"{prefix}.__mode"] = "price" if "price" in row else "ref"
            for key in ("name", "ref", "unit", "weeks_on_support", "area"):
                put(f"{prefix}.{key}", row.get(key))
            f[f"{prefix}.units_per_success"] = format_list(row.get("units_per_success"), lang)
            price = row.get("price") or {}
            for key in ("value", "unit", "price_year", "area", "direction", "source", "status"):
                put(f"{prefix}.price.{key}", price.get(key))
            for a in ACTORS:
                put(f"{prefix}.price.actor_split.{a}", (price.get("actor_split") or {}).get(a))
        f["rows.consequences"] = str(len(rows))
    elif step == "committees":
        committees = draft.get("committees") or {}
        for i, (name, areas) in enumerate(committees.items()):
            f[f"committees[{i}].name"] = str(name)
            v.lists[f"committees[{i}].areas"] = [str(a) for a in areas or []]
        f["rows.committees"] = str(len(committees) + 1)
    elif step == "contract":
        contract = draft.get("contract")
        f["contract"] = (
            yaml.safe_dump(contract, sort_keys=False, allow_unicode=True, width=100)
            if contract is not None
            else ""
        )
    return v


def add_row(values: Values, list_name: str) -> None:
    """One more (empty) row in a list of the form."""
    values.fields[f"rows.{list_name}"] = str(values.rows(list_name) + 1)


def error_field(step: str, error: FieldError, draft: Draft) -> str:
    """The form field an error is shown beside (committee errors go to their row's areas)."""
    if step == "committees" and error.field.startswith("committees"):
        path = parse_path(error.field)
        names = list((draft.get("committees") or {}).keys())
        if len(path) > 1 and path[1] in names:
            return f"committees[{names.index(str(path[1]))}].areas"
        return "committees"
    if step == "contract":
        return "contract"
    path = parse_path(error.field)
    # an item of a list typed in one field (timing, units per success) belongs to that field
    while (
        path
        and isinstance(path[-1], int)
        and path[-2:-1]
        in (
            ("timing",),
            ("units_per_success",),
        )
    ):
        path = path[:-1]
    if (
        len(path) >= 3
        and path[0] == "success"
        and path[1]
        in (
            "rate_with",
            "rate_without",
            "absolute_effect",
        )
    ):
        path = path[:2]
    return _dotted(path)


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def areas() -> tuple[str, ...]:
    return AREAS


def get(draft: Draft, dotted: str) -> Any:
    return get_path(draft, parse_path(dotted))
