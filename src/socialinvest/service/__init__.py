"""The public service seam: the only way into socialinvest for the command line and the web.

Every function takes typed values (paths, text or bytes with a display name, loaded cases,
numbers) and returns a result object (with ``to_dict()`` for JSON) or bytes. A user's mistake
raises :class:`InputError`, whose ``message`` is one sentence naming the file, line, field,
value and what is expected; a run stopped by its ``cancel`` check raises :class:`Cancelled`.
Nothing here prints, exits or writes files. See docs/service.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# light, and ``versions`` is also a submodule's name: bound here, before any import of it
from socialinvest.errors import InputError
from socialinvest.service.progress import CancelCheck, Cancelled, Progress
from socialinvest.service.versions import versions

# The other names are imported when first used (PEP 562), not with the package: a command that
# appraises one case does not load the comparison, sensitivity, report, contract and
# interchange modules it never calls (issue 10, start-up). Type checkers see the imports below.
if TYPE_CHECKING:
    from socialinvest.analysis.compare import Comparison
    from socialinvest.analysis.sensitivity import Range, Sensitivity
    from socialinvest.case.load import LoadedCase
    from socialinvest.case.models import Case
    from socialinvest.contract.result import ContractResult
    from socialinvest.report.content import ReportData
    from socialinvest.result import Result
    from socialinvest.runner import ChunkMapper
    from socialinvest.scale import DaskChunks
    from socialinvest.service.cases import (
        CaseInput,
        case_schema,
        case_schema_json,
        case_template,
        case_yaml,
        load,
        load_data,
        load_text,
        validate,
    )
    from socialinvest.service.interchange import (
        indigo_export,
        indigo_export_json,
        indigo_import,
        parse_exchange_rate,
    )
    from socialinvest.service.knowledge import (
        CatalogueRow,
        Entry,
        ExplicitSplit,
        KnowledgeEntry,
        ReimbursementSplit,
        knowledge_areas,
        knowledge_base,
        knowledge_catalogue,
        knowledge_entry,
        knowledge_kinds,
        knowledge_list,
        knowledge_search,
        knowledge_sources,
    )
    from socialinvest.service.reports import (
        MEDIA_TYPES,
        REPORT_FORMATS,
        render_report,
        report,
        report_data,
        report_format,
    )
    from socialinvest.service.runs import (
        appraise,
        compare,
        contract,
        dask_chunks,
        default_draws,
        input_statuses,
        load_alternatives,
        parse_range,
        sensitivity,
    )

_WHERE = {
    "Case": "socialinvest.case.models",
    "CaseInput": "socialinvest.service.cases",
    "CatalogueRow": "socialinvest.service.knowledge",
    "ChunkMapper": "socialinvest.runner",
    "Comparison": "socialinvest.analysis.compare",
    "ContractResult": "socialinvest.contract.result",
    "DaskChunks": "socialinvest.scale",
    "Entry": "socialinvest.service.knowledge",
    "ExplicitSplit": "socialinvest.service.knowledge",
    "KnowledgeEntry": "socialinvest.service.knowledge",
    "LoadedCase": "socialinvest.case.load",
    "MEDIA_TYPES": "socialinvest.service.reports",
    "REPORT_FORMATS": "socialinvest.service.reports",
    "Range": "socialinvest.analysis.sensitivity",
    "ReimbursementSplit": "socialinvest.service.knowledge",
    "ReportData": "socialinvest.report.content",
    "Result": "socialinvest.result",
    "Sensitivity": "socialinvest.analysis.sensitivity",
    "appraise": "socialinvest.service.runs",
    "case_schema": "socialinvest.service.cases",
    "case_schema_json": "socialinvest.service.cases",
    "case_template": "socialinvest.service.cases",
    "case_yaml": "socialinvest.service.cases",
    "compare": "socialinvest.service.runs",
    "contract": "socialinvest.service.runs",
    "dask_chunks": "socialinvest.service.runs",
    "default_draws": "socialinvest.service.runs",
    "indigo_export": "socialinvest.service.interchange",
    "indigo_export_json": "socialinvest.service.interchange",
    "indigo_import": "socialinvest.service.interchange",
    "input_statuses": "socialinvest.service.runs",
    "knowledge_areas": "socialinvest.service.knowledge",
    "knowledge_base": "socialinvest.service.knowledge",
    "knowledge_catalogue": "socialinvest.service.knowledge",
    "knowledge_entry": "socialinvest.service.knowledge",
    "knowledge_kinds": "socialinvest.service.knowledge",
    "knowledge_list": "socialinvest.service.knowledge",
    "knowledge_search": "socialinvest.service.knowledge",
    "knowledge_sources": "socialinvest.service.knowledge",
    "load": "socialinvest.service.cases",
    "load_alternatives": "socialinvest.service.runs",
    "load_data": "socialinvest.service.cases",
    "load_text": "socialinvest.service.cases",
    "parse_exchange_rate": "socialinvest.service.interchange",
    "parse_range": "socialinvest.service.runs",
    "render_report": "socialinvest.service.reports",
    "report": "socialinvest.service.reports",
    "report_data": "socialinvest.service.reports",
    "report_format": "socialinvest.service.reports",
    "sensitivity": "socialinvest.service.runs",
    "validate": "socialinvest.service.cases",
}

_SUBMODULES = frozenset(
    {
        "cases",
        "interchange",
        "knowledge",
        "partnership_demo",
        "partnerships",
        "progress",
        "reports",
        "runs",
        "versions",
    }
)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        if name in _SUBMODULES:
            return importlib.import_module(f"{__name__}.{name}")
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "MEDIA_TYPES",
    "REPORT_FORMATS",
    "CancelCheck",
    "Cancelled",
    "Case",
    "CaseInput",
    "CatalogueRow",
    "ChunkMapper",
    "Comparison",
    "ContractResult",
    "DaskChunks",
    "Entry",
    "ExplicitSplit",
    "InputError",
    "KnowledgeEntry",
    "LoadedCase",
    "Progress",
    "Range",
    "ReimbursementSplit",
    "ReportData",
    "Result",
    "Sensitivity",
    "appraise",
    "case_schema",
    "case_schema_json",
    "case_template",
    "case_yaml",
    "compare",
    "contract",
    "dask_chunks",
    "default_draws",
    "indigo_export",
    "indigo_export_json",
    "indigo_import",
    "input_statuses",
    "knowledge_areas",
    "knowledge_base",
    "knowledge_catalogue",
    "knowledge_entry",
    "knowledge_kinds",
    "knowledge_list",
    "knowledge_search",
    "knowledge_sources",
    "load",
    "load_alternatives",
    "load_data",
    "load_text",
    "parse_exchange_rate",
    "parse_range",
    "render_report",
    "report",
    "report_data",
    "report_format",
    "sensitivity",
    "validate",
    "versions",
]
