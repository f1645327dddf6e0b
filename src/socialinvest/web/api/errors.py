"""Error bodies of the API: the same one-sentence messages as the command line."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from socialinvest.errors import InputError, field_path


class ErrorOut(BaseModel):
    """A mistake in the request: one sentence, and where it is."""

    detail: str
    field: str | None = None
    line: int | None = None


class MessageOut(BaseModel):
    detail: str


def input_error_body(error: InputError, lang: str = "en") -> dict[str, Any]:
    """The error's sentence in ``lang`` (English unless the request asks for Danish with
    ``Accept-Language: da``), its field path and line."""
    return {"detail": error.render(lang), "field": error.field, "line": error.line}


def request_language(accept_language: str | None) -> str:
    """``da`` when the request's Accept-Language puts Danish first, else ``en``."""
    first = (accept_language or "").split(",")[0].strip().lower()
    return "da" if first.startswith("da") else "en"


def _expected(message: str) -> str:
    for prefix in ("Input should be ", "Value error, ", "String should have ", "List should have "):
        if message.startswith(prefix):
            rest = message[len(prefix) :]
            return rest
    return message[0].lower() + message[1:] if message else "a valid value"


def _safe(value: Any) -> Any:
    """A request's value as it may be echoed: never a CPR number (a number sent as the
    wrong type, or in the wrong field, is repeated in the sentence otherwise)."""
    from socialinvest.service.partnerships import scrub

    if isinstance(value, str | int) or value is None:
        return scrub(value)
    shown = scrub(repr(value))
    return value if shown == repr(value) else shown


def validation_error_body(exc: RequestValidationError) -> dict[str, Any]:
    """FastAPI's validation errors as one InputError-style sentence (the first error)."""
    errors = list(exc.errors())
    if not errors:
        return {"detail": "The request is not valid.", "field": None, "line": None}
    first = errors[0]
    location = [p for p in first.get("loc", ()) if isinstance(p, str | int)]
    if location and location[0] in ("body", "query", "path", "header", "cookie"):
        location = location[1:]
    path = field_path(location) if location else None
    kind = str(first.get("type", ""))
    expected = _expected(str(first.get("msg", "")))
    if kind == "missing":
        error = InputError("a value", field=path, problem="is missing")
    elif kind in ("json_invalid", "model_attributes_type", "dict_type") and not path:
        error = InputError("a JSON object in the request body", has_value=False)
    else:
        error = InputError(
            expected, field=path, value=_safe(first.get("input")), has_value="input" in first
        )
    return input_error_body(error)


#: The 422 response every route documents (FastAPI's own would not match our body).
UNPROCESSABLE: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorOut, "description": "A mistake in the request, in one sentence."}
}
