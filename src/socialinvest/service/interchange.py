"""The INDIGO interchange: a modelled contract as an INDIGO project document, and a published
deal's terms from an INDIGO document onto a business case (see docs/indigo.md)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from socialinvest.contract.result import ContractResult
from socialinvest.errors import InputError, msg
from socialinvest.safe_input import (
    load_document,
    load_json,
    parse_document,
    read_limited,
    show_shape,
)
from socialinvest.service.cases import decode_text, load_text


def indigo_export(result: ContractResult) -> dict[str, Any]:
    """The INDIGO project document (JSON-serialisable) of a contract's result: terms, planned
    outcome payments, expected transactions and simulated results, all marked as planned or
    modelled, never actual."""
    from socialinvest.contract.indigo import to_indigo

    return to_indigo(result)


def indigo_export_json(result: ContractResult) -> str:
    """:func:`indigo_export` as JSON text (UTF-8, indented, ending in a newline)."""
    return json.dumps(indigo_export(result), ensure_ascii=False, indent=2) + "\n"


def parse_exchange_rate(item: str) -> tuple[str, float]:
    """``GBP=8.7`` → ('GBP', 8.7): kroner per unit of a currency, positive and finite; an
    :class:`InputError` names ``--exchange-rate`` otherwise."""
    from socialinvest.contract.indigo import parse_exchange_rate as parse

    return parse(item)


def _read(source: Path) -> bytes:
    """A file's bytes through the loading gate (a regular file within the size limit)."""
    return read_limited(source)


def _document(document: Mapping[str, Any] | Path | str | bytes, name: str) -> Mapping[str, Any]:
    if isinstance(document, Mapping):
        return document
    if isinstance(document, Path):
        data = load_json(document, str(document))
    else:
        data = load_json(name=name, data=document)
    if not isinstance(data, dict):
        raise InputError("", file=name, statement=msg("i_document", shape=show_shape(data)))
    return data


def _metrics(
    metrics: Mapping[str, Mapping[str, Any]] | Path | None,
) -> Mapping[str, Mapping[str, Any]] | None:
    if metrics is None or isinstance(metrics, Mapping):
        return metrics
    extra = load_document(metrics).data
    if not isinstance(extra, dict):
        raise InputError(
            "", file=str(metrics), statement=msg("e_metrics_file", shape=show_shape(extra))
        )
    return extra


def indigo_import(
    document: Mapping[str, Any] | Path | str | bytes,
    case: Path | str | bytes,
    *,
    document_name: str = "<INDIGO document>",
    case_name: str = "<case>",
    metrics: Mapping[str, Mapping[str, Any]] | Path | None = None,
    states: Sequence[str] | None = None,
    period: str | None = None,
    start_date: dt.date | None = None,
    payer_actor: str = "kommune",
    exchange_rates: Mapping[str, float] | None = None,
    result_name: str | None = None,
) -> str:
    """The text of the case ``case`` with a ``contract`` section holding the deal of the INDIGO
    project document ``document``; the text is checked to be a valid case before it is returned.

    ``document``: the parsed document, its JSON text or bytes, or a :class:`~pathlib.Path` to
    read. ``case``: the case's YAML text or bytes, or a Path. ``*_name`` are the display names
    of text given directly. ``metrics`` (a mapping, or a Path to YAML): per INDIGO outcome
    metric id, the contract metric's fields INDIGO has no place for; ``states``: the case
    model's states an outcome counts; ``period``: week, month, quarter or year; ``start_date``
    moves the deal's term; ``payer_actor``: whose gains a payer sets its payments against;
    ``exchange_rates``: kroner per unit of a currency (an assumption). Every term INDIGO does not
    give is listed in the section's sources as an assumption. ``result_name`` names the new
    text in an error about it (default: the case's name). Raises :class:`InputError`.
    """
    from socialinvest.contract.indigo import attach_contract, from_indigo

    doc_name = str(document) if isinstance(document, Path) else document_name
    doc = _document(document, doc_name)
    if isinstance(case, Path):
        case_name = str(case)
        case = _read(case)
    case_text = decode_text(case, case_name)
    if not isinstance(parse_document(case_text, case_name).data, dict):  # the gate, too
        shape = show_shape(parse_document(case_text, case_name).data)
        raise InputError("", file=case_name, statement=msg("e_not_a_case", shape=shape))
    section = from_indigo(
        doc,
        metrics=_metrics(metrics),
        states=list(states) if states else None,
        period=period,
        start_date=start_date,
        payer_actor=payer_actor,
        exchange_rates=exchange_rates or None,
        file=doc_name,
    )
    text = attach_contract(case_text, section)
    load_text(text, result_name or case_name)  # the result must be a valid case
    return text
