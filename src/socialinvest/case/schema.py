"""The JSON Schema of case files, generated from the models (docs/case.schema.json)."""

from __future__ import annotations

import json

from socialinvest.case.models import Case


def case_schema() -> dict[str, object]:
    schema = Case.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://socialinvest.invalid/case.schema.json"
    schema["title"] = "socialinvest business case"
    return schema


def case_schema_json() -> str:
    return json.dumps(case_schema(), ensure_ascii=False, indent=2) + "\n"
