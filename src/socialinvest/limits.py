"""Resource limits decided before any work starts (docs/limits.md).

A run's memory is estimated from the shape of the work (draws, individuals × cycles, states,
contract periods) and refused with one sentence when it would not fit, instead of failing midway
with "Unable to allocate 48 GiB". The limit is the machine's memory (or the process's address
space limit, whichever is smaller) times :data:`MEMORY_SHARE`, or ``SOCIALINVEST_MEMORY_LIMIT``
(e.g. ``8GiB``, ``500MiB``) when set.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from socialinvest.errors import InputError, Msg, msg

MAX_DRAWS = 10_000_000
MAX_WORKERS = 64
MAX_PERSON_CYCLES = 1_000_000_000  # individuals × (cycles + 1) in one draw of a microsimulation
MEMORY_SHARE = 0.75
MEMORY_ENV = "SOCIALINVEST_MEMORY_LIMIT"

GIB = 1024**3
_KEPT_PER_DRAW = 512  # bytes kept per draw: key figures per actor, break-even year, outcomes
_CHUNK_WORK = 2_000_000 * 8 * 12  # a chunk's temporary arrays (runner.chunk_sizes' budget)


def memory_limit() -> int:
    """Bytes a run may use: SOCIALINVEST_MEMORY_LIMIT, else a share of the smallest of the
    machine's memory and the process's address-space and data limits."""
    configured = os.environ.get(MEMORY_ENV)
    if configured:
        parsed = parse_size(configured)
        if parsed is None:
            raise InputError(msg("e_memory_env", name=MEMORY_ENV), value=configured)
        return parsed
    candidates = []
    try:
        candidates.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not a POSIX system
        candidates.append(8 * GIB)
    try:
        import resource

        for kind in (resource.RLIMIT_AS, resource.RLIMIT_DATA):
            soft, _ = resource.getrlimit(kind)
            if soft != resource.RLIM_INFINITY:
                candidates.append(soft)
    except (ImportError, ValueError, OSError):  # pragma: no cover - not a POSIX system
        pass
    return int(min(candidates) * MEMORY_SHARE)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?\s*$", re.I)


def parse_size(text: str) -> int | None:
    """``8GiB`` → bytes (k, M, G, T are powers of 1024); None if it is not a size."""
    match = _SIZE.match(text)
    if match is None:
        return None
    power = {"": 0, "b": 0, "k": 1, "m": 2, "g": 3, "t": 4}[(match.group(2) or "")[:1].lower()]
    return int(float(match.group(1)) * 1024**power)


def human_size(size: float, lang: str = "en") -> str:
    """A size in GiB or MiB, rounded for a sentence: 48 GiB, 1.5 GiB, 300 MiB."""
    if size >= GIB:
        value, unit = size / GIB, "GiB"
    else:
        value, unit = max(size / 1024**2, 1), "MiB"
    shown = f"{value:,.0f}" if value >= 10 else f"{value:.1f}".removesuffix(".0")
    if lang == "da":
        shown = shown.replace(",", "#").replace(".", ",").replace("#", ".")
    return f"{shown} {unit}"


@dataclass(frozen=True)
class Size:
    """A number of bytes shown as :func:`human_size` in the message's language."""

    size: float

    def render(self, lang: str) -> str:
        return human_size(self.size, lang)


def check_draws(draws: int, option: str = "--draws") -> None:
    if not 1 <= draws <= MAX_DRAWS:
        raise InputError(msg("e_draws", limit=MAX_DRAWS), field=option, value=draws)


def max_workers() -> int:
    """Local worker processes allowed: twice the CPU cores, at most :data:`MAX_WORKERS` (each
    process holds its own copy of numpy and the case; more only compete for the cores)."""
    return max(1, min(MAX_WORKERS, 2 * (os.cpu_count() or 1)))


def check_workers(workers: int | None) -> None:
    limit = max_workers()
    if workers is not None and not 1 <= workers <= limit:
        raise InputError(msg("e_workers", limit=limit), field="--workers", value=workers)


@dataclass(frozen=True)
class Estimate:
    """Bytes a run needs at most at once, and what to reduce (a catalogue key)."""

    bytes: int
    advice: Msg


def estimate(case: Any, draws: int) -> Estimate:
    """The memory a run of ``case`` with ``draws`` draws needs, from the work's shape."""
    kept = draws * _KEPT_PER_DRAW
    need = _CHUNK_WORK + kept
    advice = msg("a_fewer_draws")
    st = getattr(case, "state_transition", None)
    if st is not None:
        from socialinvest.vocabulary import CYCLES_PER_YEAR

        cycles = case.horizon_years * CYCLES_PER_YEAR[st.cycle]
        states = len(st.states)
        matrices = cycles * states * states * 8 * 2  # both arms' transition rows, one draw
        need = max(need, _CHUNK_WORK + kept + matrices)
        sim = st.simulation
        if sim is not None:
            person_cycles = sim.individuals * (cycles + 1)
            # one draw at least: uniforms (8 bytes), both arms' paths and a buffer (1 byte each)
            per_draw = person_cycles * 11 + cycles * states * states * 8 * 2
            need = max(need, per_draw + kept)
            advice = msg("a_fewer_individuals")
    contract = getattr(case, "contract", None)
    if contract is not None:
        lines = len(contract.payments) + len(contract.parties) + 8
        need += draws * contract.periods * lines * 8 * 2
        if contract.person_cap is not None:  # units per person are kept: [draw, person, period]
            need += draws * _participants(case) * contract.periods * len(contract.payments) * 8
            advice = msg("a_fewer_draws_or_people")
    return Estimate(need, advice)


def _participants(case: Any) -> int:
    """The contract's participants: its own numbers per year, or the case's expected intake."""
    cohorts = case.contract.participants.cohorts
    if isinstance(cohorts, list):
        return int(sum(cohorts))
    total = 0.0
    for cohort in case.target_group.cohorts:
        intake = cohort.intake
        total += float(intake.point) if hasattr(intake, "point") else float(intake)
    return int(total) + 1


def check_case_run(case: Any, draws: int, loaded: Any = None) -> None:
    """Refuse, before any work, a run that exceeds a documented maximum or the memory limit
    (``loaded``, a LoadedCase, names the file and line)."""
    try:
        _check_case_run(case, draws)
    except InputError as error:
        if loaded is None:
            raise
        path = tuple(part for part in (error.field or "").split(".") if part)
        raise error.located(loaded.file, loaded.document.line_of(path) if path else None) from None


def _check_case_run(case: Any, draws: int) -> None:
    check_draws(draws, "draws")
    st = getattr(case, "state_transition", None)
    if st is not None and st.simulation is not None:
        from socialinvest.vocabulary import CYCLES_PER_YEAR

        cycles = case.horizon_years * CYCLES_PER_YEAR[st.cycle]
        if st.simulation.individuals * (cycles + 1) > MAX_PERSON_CYCLES:
            raise InputError(
                "",
                field="state_transition.simulation.individuals",
                statement=msg(
                    "e_person_cycles",
                    individuals=st.simulation.individuals,
                    cycles=cycles,
                    limit=MAX_PERSON_CYCLES,
                ),
            )
    need = estimate(case, draws)
    limit = memory_limit()
    if need.bytes > limit:
        raise InputError(
            "",
            statement=msg("e_memory", need=Size(need.bytes), limit=Size(limit), advice=need.advice),
        )
