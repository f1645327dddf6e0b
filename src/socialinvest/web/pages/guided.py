"""The guided steps (a new case, or a new version of one) and the YAML editor.

The draft travels between steps as YAML text in a hidden field (see
:mod:`socialinvest.web.steps.flow`), so nothing is stored until the user saves, nothing typed is
lost when a step has an error, and the flow works without JavaScript. Saving a case that exists
makes a new version from the version the user started from; a save that lost a race gets the
store's conflict message, with both versions kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from socialinvest.errors import InputError
from socialinvest.output.messages import text, unit_label
from socialinvest.store import cases as case_store
from socialinvest.store.models import Case, User
from socialinvest.web.deps import ItemId, editable_case, get_db, require_editor, writing_user
from socialinvest.web.pages.common import case_view, lang_of, see_other, version_of
from socialinvest.web.pages.library import example_text, examples
from socialinvest.web.pages.results import pivot
from socialinvest.web.steps import flow
from socialinvest.web.steps.errors import FieldError, explain
from socialinvest.web.steps.fields import parse_path
from socialinvest.web.templating import render

router = APIRouter()

MAX_DRAFT = 1_000_000  # characters of a draft or an edited text


def latest_price_year() -> int:
    from socialinvest import service

    return max(service.knowledge_base().price_index())


def knowledge_hits(query: str, lang: str) -> list[dict[str, Any]]:
    """Unit prices of the knowledge base matching ``query`` (all of them for an empty one)."""
    from socialinvest import service

    found = []
    for item in service.knowledge_search(query, kind="unit_price"):
        entry = item.entry
        latest = entry.values[-1]
        found.append(
            {
                "id": item.id,
                "label": entry.label.da if lang == "da" else entry.label.en,
                "unit": unit_label(lang, entry.unit),
                "value": latest.value,
                "year": latest.valid_from.year,
                "status": latest.status,
                "source": latest.reference.title,
            }
        )
    return found


def contract_examples() -> list[tuple[str, str]]:
    """(key, contract name) of the bundled examples that hold an outcome contract."""
    found = []
    for key, _ in examples():
        contract = flow.load(example_text(key)).get("contract")
        if isinstance(contract, dict):
            found.append((key, str(contract.get("name") or key)))
    return found


def discount_schedules() -> list[str]:
    from socialinvest import service

    return [e.id for e in service.knowledge_list("discount_schedule")]


async def _form(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    out: dict[str, list[str]] = {}
    for key in form:
        out[key] = [str(v) for v in form.getlist(key) if isinstance(v, str)]
    return out


def _one(form: dict[str, list[str]], key: str) -> str:
    values = form.get(key) or []
    return values[0] if values else ""


def _case_of(db: Session, user: User, raw: str) -> Case | None:
    """The case a form edits (404 before 403: see deps), or None for a new case, which only
    analysts and admins may make."""
    if not raw:
        require_editor(user)
        return None
    if not raw.isdigit():
        raise HTTPException(status_code=404, detail="No such case.")
    return editable_case(db, user, int(raw))


def render_step(
    request: Request,
    step: str,
    draft: flow.Draft,
    *,
    values: flow.Values | None = None,
    errors: Sequence[FieldError] = (),
    case: Case | None = None,
    base: int | None = None,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    lang = lang_of(request)
    shown = values if values is not None else flow.from_draft(step, draft, lang)
    beside: dict[str, str] = {}
    for error in errors:
        if flow.step_of(error.field) == step:
            message = error.message
            if step == "contract" and error.field:  # one text field: say where in it
                message = f"{error.field}: {message}"
            beside.setdefault(flow.error_field(step, error, draft), message)
    context: dict[str, Any] = {
        "step": step,
        "steps": flow.STEPS,
        "values": shown,
        "errors": beside,
        "all_errors": [
            {
                "field": e.field,
                "label": field_label(e.field, lang),
                "message": e.message,
                "step": flow.step_of(e.field),
            }
            for e in errors
        ],
        "draft_text": flow.dump(draft),
        "case": case,
        "base": base,
        "choices": {
            "actors": ("kommune", "region", "stat"),
            "areas": flow.areas(),
            "cost_types": flow.COST_TYPES,
            "periods": flow.PERIODS,
            "activity_units": flow.ACTIVITY_UNITS,
            "price_units": flow.PRICE_UNITS,
            "statuses": flow.STATUSES,
            "dists": tuple(flow.DIST_PARAMS),
            "dist_params": flow.DIST_PARAMS,
            "widget_params": flow.WIDGET_PARAMS,
            "schedules": discount_schedules(),
        },
        "field_id": field_id,
    }
    if step == "consequences":
        query = (extra or {}).get("kb_query", "")
        context["kb_query"] = query
        context["kb_hits"] = knowledge_hits(query, lang)
        context["kb_labels"] = {hit["id"]: hit["label"] for hit in knowledge_hits("", lang)}
    if step == "contract":
        context["contract_examples"] = contract_examples()
    if step == "result" and not errors:
        body = flow.dump(draft)
        try:
            from socialinvest.store.cases import digest

            view = case_view(body, "case.yaml", digest(body), lang)
        except InputError as error:
            context["all_errors"] = [
                {
                    "field": error.field or "",
                    "step": "result",
                    "message": explain(error, lang).message,
                }
            ]
        else:
            years, lines = pivot(view.yearly)
            context.update(view=view, r=view.result, years=years, lines=lines)
    context.update(extra or {})
    return render(request, "steps.html", context, status_code=status_code)


# Rows of the lists in the steps, named in an error's label ("Omkostning 2: Beløb").
_ROW_LABELS = {"cohorts": "ui_f_cohort_year", "costs": "ui_cost", "consequences": "ui_consequence"}
# (section, field) → label key, where the field's own key (ui_f_FIELD) is not the one shown.
_FIELD_LABELS = {
    ("cohorts", "year"): "ui_f_cohort_year",
    ("cohorts", "intake"): "ui_f_cohort_intake",
    ("costs", "name"): "ui_f_cost_name",
    ("costs", "type"): "ui_f_cost_type",
    ("consequences", "name"): "ui_f_consequence_name",
    ("consequences", "area"): "ui_f_area_override",
    ("intervention", "name"): "ui_f_intervention_name",
    ("target_group", "description"): "ui_f_target_description",
    ("price", "value"): "ui_f_price_value",
    ("price", "unit"): "ui_f_price_unit",
    ("price", "price_year"): "ui_f_price_price_year",
}


def field_label(field: str, lang: str) -> str:
    """A field's label as the form shows it, for the list of errors; the path when unknown."""
    from socialinvest.output.messages import has_text

    path = parse_path(field) if field else ()
    words: list[str] = []
    for i, part in enumerate(path):
        if isinstance(part, int) and i > 0 and str(path[i - 1]) in _ROW_LABELS:
            words.append(f"{text(lang, _ROW_LABELS[str(path[i - 1])])} {part + 1}")
    names = [p for p in path if isinstance(p, str)]
    if names:
        last = names[-1]
        key = _FIELD_LABELS.get((names[-2] if len(names) > 1 else "", last)) or f"ui_f_{last}"
        if has_text(lang, key):
            words.append(text(lang, key))
        else:
            return field
    return ": ".join(words) if words else field


def field_id(name: str) -> str:
    """An HTML id for a field name such as intervention.costs[0].amount."""
    return "f-" + "".join(c if c.isalnum() else "-" for c in name)


@router.get("/cases/new", response_class=HTMLResponse)
def new_case(
    request: Request,
    example: str = "",
    user: User = Depends(require_editor),
) -> Response:
    """The first step of a new case: empty, or filled from a bundled example."""
    draft = flow.load(example_text(example)) if example else flow.new_draft(latest_price_year())
    return render_step(request, "settings", draft)


@router.get("/cases/{case_id}/edit", response_class=HTMLResponse)
def edit_case(
    request: Request,
    case_id: ItemId,
    version: int | None = None,
    step: str = "settings",
    db: Session = Depends(get_db),
    user: User = Depends(writing_user),
) -> Response:
    """The guided steps on a version of a case (the current one by default)."""
    case = editable_case(db, user, case_id)
    chosen = version_of(db, case, version)
    draft = flow.load(chosen.text)
    if draft.get("model") == "state_transition":
        return see_other(f"/cases/{case_id}/yaml?version={chosen.number}")
    return render_step(
        request, step if step in flow.STEPS else "settings", draft, case=case, base=case.head
    )


def _save(
    request: Request,
    db: Session,
    user: User,
    case: Case | None,
    base: int | None,
    body: str,
    message: str,
) -> tuple[Case | None, str | None]:
    """Save ``body`` (already validated) as a new case or a new version: (case, conflict)."""
    lang = lang_of(request)
    from socialinvest import service

    name = service.load_text(body, "case.yaml").case.name
    if case is None:
        created = case_store.create_case(
            db, user, name, body, message or text(lang, "ui_msg_created")
        )
        return created, None
    try:
        case_store.save_version(
            db,
            case,
            user,
            body,
            message or text(lang, "ui_msg_saved"),
            base=base if base is not None else case.head,
            name=name,
        )
    except case_store.Conflict as conflict:
        return case, text(
            lang,
            "web_conflict",
            author=conflict.theirs.author.display_name,
            theirs=conflict.theirs.number,
            base=base,
            mine=conflict.mine.number,
        )
    return case, None


@router.post("/steps", response_class=HTMLResponse)
async def steps(
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(writing_user),
) -> Response:
    """One submitted step: read it into the draft, then go where the pressed button says."""
    lang = lang_of(request)
    form = await _form(request)
    step = _one(form, "step")
    if step not in flow.STEPS:
        raise HTTPException(status_code=404, detail="No such step.")
    raw_draft = _one(form, "draft")
    if len(raw_draft) > MAX_DRAFT:
        raise HTTPException(status_code=413, detail="The case is too large.")
    case = _case_of(db, user, _one(form, "case_id"))
    base_raw = _one(form, "base")
    base = int(base_raw) if base_raw.isdigit() else None
    draft = flow.load(raw_draft)
    if step != "result":
        draft = flow.read(step, form, draft, lang)
    action = _one(form, "action") or "next"
    kind, _, argument = action.partition(":")

    if kind == "add":
        typed = flow.from_form(form)
        flow.add_row(typed, argument)
        return render_step(request, step, draft, values=typed, case=case, base=base)
    if kind == "remove":
        name, _, row = argument.rpartition(":")
        items = flow.get(draft, name)
        if isinstance(items, list) and row.isdigit() and int(row) < len(items):
            del items[int(row)]
        return render_step(request, step, draft, case=case, base=base)
    if kind == "search":
        return render_step(
            request,
            step,
            draft,
            values=flow.from_form(form),
            extra={"kb_query": _one(form, "kb_query")},
            case=case,
            base=base,
        )
    if kind == "pick":
        rows = draft.setdefault("consequences", [])
        if isinstance(rows, list):
            rows.append({"ref": argument})
        return render_step(request, step, draft, case=case, base=base)
    if kind == "contract-example":
        chosen = _one(form, "contract_example")
        if chosen in {key for key, _ in contract_examples()}:
            draft["contract"] = flow.load(example_text(chosen)).get("contract")
        return render_step(request, step, draft, case=case, base=base)
    if kind == "yaml":
        return render(request, "yaml.html", {"text": flow.dump(draft), "case": case, "base": base})
    if kind == "save":
        errors = flow.check(draft, lang, "result")
        if errors:
            return render_step(
                request, "result", draft, errors=errors, status_code=422, case=case, base=base
            )
        saved, conflict = _save(
            request, db, user, case, base, flow.dump(draft), _one(form, "message")
        )
        if conflict is not None:
            return render_step(
                request,
                "result",
                draft,
                extra={"conflict": conflict},
                status_code=409,
                case=case,
                base=base,
            )
        assert saved is not None
        return see_other(f"/cases/{saved.id}")

    index = flow.STEPS.index(step)
    if kind == "back":
        target = flow.STEPS[max(index - 1, 0)]
    elif kind == "goto" and argument in flow.STEPS:
        target = argument
    else:
        target = flow.STEPS[min(index + 1, len(flow.STEPS) - 1)]
    if kind == "next" and step != "result":
        errors = flow.check(draft, lang, step)
        if errors:
            return render_step(
                request,
                step,
                draft,
                values=flow.from_form(form),
                errors=errors,
                status_code=422,
                case=case,
                base=base,
            )
    if target == "result":
        errors = flow.check(draft, lang, "result")
        if errors:
            return render_step(request, "result", draft, errors=errors, case=case, base=base)
    return render_step(request, target, draft, case=case, base=base)


@router.post("/steps/preview", response_class=HTMLResponse)
async def preview(
    request: Request,
    user: User = Depends(require_editor),
) -> Response:
    """The key figures of the draft as it would be with this step's form (for live preview);
    the errors instead when it is not a valid case yet."""
    from socialinvest import service

    lang = lang_of(request)
    form = await _form(request)
    step = _one(form, "step")
    draft = flow.load(_one(form, "draft")[:MAX_DRAFT])
    if step in flow.STEPS and step != "result":
        draft = flow.read(step, form, draft, lang)
    errors = flow.check(draft, lang, "result", limit=1)
    result = None
    if not errors:
        try:
            result = service.appraise(service.load_text(flow.dump(draft), "case.yaml")).to_dict()
        except InputError as error:
            errors = [explain(error, lang)]
    return render(request, "preview.html", {"r": result, "errors": errors})


@router.get("/cases/{case_id}/yaml", response_class=HTMLResponse)
def yaml_page(
    request: Request,
    case_id: ItemId,
    version: int | None = None,
    db: Session = Depends(get_db),
    user: User = Depends(writing_user),
) -> Response:
    case = editable_case(db, user, case_id)
    chosen = version_of(db, case, version)
    return render(request, "yaml.html", {"text": chosen.text, "case": case, "base": case.head})


@router.get("/yaml/new", response_class=HTMLResponse)
def yaml_new(
    request: Request,
    example: str = "",
    user: User = Depends(require_editor),
) -> Response:
    from socialinvest import service

    body = example_text(example) if example else service.case_template()
    return render(request, "yaml.html", {"text": body, "case": None, "base": None})


@router.post("/yaml", response_class=HTMLResponse)
async def yaml_save(
    request: Request,
    db: Session = Depends(get_db),
    user: User = Depends(writing_user),
) -> Response:
    """The edited text: checked like a case file on the command line, then saved (or shown in
    the guided steps)."""
    from socialinvest import service

    lang = lang_of(request)
    form = await _form(request)
    body = _one(form, "text").replace("\r\n", "\n")
    if len(body) > MAX_DRAFT:
        raise HTTPException(status_code=413, detail="The case is too large.")
    case = _case_of(db, user, _one(form, "case_id"))
    base_raw = _one(form, "base")
    base = int(base_raw) if base_raw.isdigit() else None
    action = _one(form, "action") or "check"
    context: dict[str, Any] = {"text": body, "case": case, "base": base}
    try:
        service.validate(service.load_text(body, "case.yaml"))
    except InputError as error:
        context["error"] = explain(error, lang)
        context["line"] = error.line
        return render(request, "yaml.html", context, status_code=422)
    if action == "steps":
        return render_step(request, "settings", flow.load(body), case=case, base=base)
    if action != "save":
        context["ok"] = True
        return render(request, "yaml.html", context)
    saved, conflict = _save(request, db, user, case, base, body, _one(form, "message"))
    if conflict is not None:
        context["conflict"] = conflict
        return render(request, "yaml.html", context, status_code=409)
    assert saved is not None
    return see_other(f"/cases/{saved.id}")
