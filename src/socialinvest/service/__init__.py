"""The public service seam: the only way into socialinvest for the command line and the web.

Every function takes typed values (paths, text or bytes with a display name, loaded cases,
numbers) and returns a result object (with ``to_dict()`` for JSON) or bytes. A user's mistake
raises :class:`InputError`, whose ``message`` is one sentence naming the file, line, field,
value and what is expected; a run stopped by its ``cancel`` check raises :class:`Cancelled`.
Nothing here prints, exits or writes files. See docs/service.md.
"""

from __future__ import annotations

from socialinvest.analysis.compare import Comparison
from socialinvest.analysis.sensitivity import Range, Sensitivity
from socialinvest.case.load import LoadedCase
from socialinvest.case.models import Case
from socialinvest.contract.result import ContractResult
from socialinvest.errors import InputError
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
from socialinvest.service.progress import CancelCheck, Cancelled, Progress
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
from socialinvest.service.versions import versions

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
