"""Running a case: appraisal, sensitivity, comparison and the outcome contract."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from socialinvest.service.cases import CaseInput, load, loaded
from socialinvest.service.progress import CancelCheck, Progress, check, reporter

if TYPE_CHECKING:  # each run imports what it uses (start-up, issue 10)
    from socialinvest.analysis.compare import Comparison
    from socialinvest.analysis.sensitivity import Range, Sensitivity
    from socialinvest.contract.result import ContractResult
    from socialinvest.inputs import InputItem
    from socialinvest.result import Result
    from socialinvest.runner import ChunkMapper
    from socialinvest.scale import DaskChunks


def appraise(
    case: CaseInput,
    *,
    draws: int = 1,
    seed: int | None = None,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    map_chunks: ChunkMapper | None = None,
) -> Result:
    """The business case's result: budget net result per actor, area and year and its key
    figures (``Result``; ``Result.to_dict()`` is ``socialinvest run --format json``'s item).

    ``draws`` > 1 samples every input given as a distribution (Monte Carlo), reproducibly from
    ``seed`` (chosen and recorded in ``result.run`` when None); one draw uses the means.
    ``progress`` gets (draws done, draws) after each chunk; ``cancel`` is checked at the start
    and after each chunk and stops the run with :class:`Cancelled`. ``map_chunks`` runs the
    chunks elsewhere (see :func:`dask_chunks`); the result is the same.
    Raises :class:`InputError` for a case that cannot be run (e.g. an unknown reference).
    """
    from socialinvest.runner import appraise as run

    check(cancel)
    return run(
        loaded(case),
        draws=draws,
        seed=seed,
        progress=reporter(progress, cancel),
        map_chunks=map_chunks,
    )


def sensitivity(
    case: CaseInput,
    *,
    inputs: Mapping[str, Range | None] | None = None,
    thresholds: Mapping[str, Range | None] | None = None,
    cancel: CancelCheck | None = None,
) -> Sensitivity:
    """One-way sensitivity (tornado) and threshold values of a success-rate case.

    ``inputs``: input path (e.g. ``success.rate_with``) → (low, high), or None for the
    distribution's 5th and 95th percentiles; default every input given as a distribution.
    ``thresholds``: input path → range to search, or None for its distribution's 0.1–99.9 %
    interval. Use :func:`parse_range` for ``PATH=LOW:HIGH`` text. Raises :class:`InputError`
    (unknown path, a plain number without a range, a state-transition case).
    """
    from socialinvest.analysis.sensitivity import analyse

    check(cancel)
    return analyse(loaded(case), inputs=inputs, thresholds=thresholds)


def parse_range(text: str, option: str = "--input") -> tuple[str, Range | None]:
    """``PATH`` or ``PATH=LOW:HIGH`` (a decimal comma is accepted) as (path, range or None);
    ``option`` names the field in the error. Raises :class:`InputError`."""
    from socialinvest.analysis.sensitivity import parse_spec

    return parse_spec(text, option)


Alternatives = Sequence[tuple[str | None, CaseInput]]


def load_alternatives(
    paths: Sequence[Path],
) -> tuple[str | None, list[tuple[str | None, CaseInput]]]:
    """The alternatives of ``socialinvest compare``: case files (no labels), or one comparison
    file (its name and its alternatives' names and case files). Raises :class:`InputError`."""
    from socialinvest.analysis.compare import is_comparison_file, read_comparison_file

    name = None
    listed: list[tuple[str | None, Path]] = [(None, Path(p)) for p in paths]
    if len(paths) == 1 and is_comparison_file(paths[0]):
        name, listed = read_comparison_file(paths[0])
    return name, [(label, load(path)) for label, path in listed]


def compare(
    alternatives: Alternatives,
    *,
    name: str | None = None,
    draws: int = 1,
    seed: int | None = None,
    with_do_nothing: bool = False,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    effect: str = "successes",
    cost: str = "budget_costs",
) -> Comparison:
    """Compare alternatives given as (label or None for the case's name, case): NPV, return
    per krone, ranking, efficiency frontier; with ``draws`` > 1 (one seed shared by all) the
    probability of the highest NPV and the EVPI (``Comparison``; ``to_dict()`` is the JSON).
    ``progress`` counts the draws of all alternatives together. Raises :class:`InputError`
    (fewer than two alternatives, different price years, a case that cannot be run).
    ``effect``/``cost``: the frontier's measures ("successes" or a declared outcome;
    "budget_costs" or an outcome), with ICERs between neighbours on it."""
    from socialinvest.analysis.compare import compare as run

    check(cancel)
    return run(
        [(label, loaded(c)) for label, c in alternatives],
        name=name,
        draws=draws,
        seed=seed,
        with_do_nothing=with_do_nothing,
        progress=reporter(progress, cancel),
        effect=effect,
        cost=cost,
    )


def contract(
    case: CaseInput,
    *,
    draws: int | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
) -> ContractResult:
    """The outcome contract of a case with a ``contract`` section: every party's cash flows,
    investor returns and risk, payers' payments against their own gains, break-even success
    rates and the designer's price (``ContractResult``; ``to_dict()`` is
    ``socialinvest contract --format json``). Raises :class:`InputError` (no contract section,
    a case that cannot be run). ``draws`` None: the default Monte Carlo run of a contract
    (socialinvest.draws; a contract's participants succeed by chance, so one draw gives no
    probability)."""
    from socialinvest.contract.result import evaluate_contract
    from socialinvest.draws import default_draws

    check(cancel)
    source = loaded(case)
    return evaluate_contract(
        source,
        draws=default_draws(source.case) if draws is None else draws,
        seed=seed,
        progress=reporter(progress, cancel),
    )


def dask_chunks(scheduler: str | None = None, workers: int | None = None) -> DaskChunks:
    """A chunk mapper (for ``map_chunks``) on the Dask scheduler at ``scheduler``
    (``tcp://HOST:PORT``) or on a local cluster of ``workers`` processes; close it when done.
    Raises :class:`InputError` when Dask is not installed or the scheduler does not answer."""
    from socialinvest.scale import dask_mapper

    return dask_mapper(scheduler=scheduler, workers=workers)


def default_draws(case: CaseInput) -> int:
    """The draws ``report`` and ``contract`` run when none are given: 10,000 when the case has
    anything uncertain, 1,000 for a case with a contract, else 1 (socialinvest.draws)."""
    from socialinvest.draws import default_draws as default

    return default(loaded(case).case)


def input_statuses(case: CaseInput) -> tuple[list[InputItem], list[str]]:
    """Every input of the case with the status its ``inputs`` section gives it (None: not
    given), and the paths under ``inputs`` that name no input (socialinvest.inputs)."""
    from socialinvest.inputs import case_inputs, unknown_paths

    source = loaded(case).case
    return case_inputs(source), unknown_paths(source)
