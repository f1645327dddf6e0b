"""From a validated case and the knowledge base to engine arrays, and from the engine to a Result.

This is the edge where references are resolved, prices converted to the case's price year and
actor splits applied; every value taken from the knowledge base is recorded for provenance. The
engine itself (socialinvest.engine) never sees a file, a case model or the knowledge base.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from socialinvest.case.load import LoadedCase
from socialinvest.case.models import (
    Case,
    Dist,
    point,
)
from socialinvest.engine.discounting import discount_factors
from socialinvest.engine.distributions import sample_correlated
from socialinvest.engine.success_rate import SuccessRateInputs
from socialinvest.engine.success_summary import success_rate_summary
from socialinvest.engine.summary import Summary, combine, expand_areas
from socialinvest.errors import InputError, field_path, msg
from socialinvest.knowledge.base import (
    KnowledgeBase,
    default_knowledge_base,
)
from socialinvest.knowledge.local import with_local_prices
from socialinvest.model import CHUNK_CELLS, PreparedModel
from socialinvest.resolve import Path_, Provenance, used_areas
from socialinvest.resolve import Resolver as _Resolver
from socialinvest.resolve import SetColumn as _SetColumn
from socialinvest.resolve import prepare_costs as _prepare_costs
from socialinvest.result import ConsequenceInfo, Result
from socialinvest.vocabulary import ACTORS, AREAS


@dataclass(frozen=True)
class Slot:
    """An uncertain input: where it is in the case, its distribution, and how its draws enter
    the engine arrays (``apply(arrays, draws)`` writes them in place)."""

    path: str
    spec: Dist
    apply: Callable[[dict[str, np.ndarray], np.ndarray], None]
    # False for a plain number registered by ``prepare(..., every_input=True)`` (spec: fixed)
    declared: bool = True


@dataclass(frozen=True)
class Prepared:
    """A case resolved against the knowledge base: arrays at the inputs' point values (one draw),
    the uncertain inputs, and the metadata a Result needs."""

    base: dict[str, np.ndarray]
    constants: dict[str, Any]
    slots: list[Slot]
    correlation: np.ndarray | None
    meta: dict[str, Any]

    def inputs(self, arrays: dict[str, np.ndarray]) -> SuccessRateInputs:
        """Engine inputs from (possibly per-draw) raw arrays."""
        effect = (
            arrays["absolute_effect"]
            if self.constants["absolute"]
            else arrays["rate_with"] - arrays["rate_without"]
        )
        return SuccessRateInputs(
            n_years=self.constants["n_years"],
            n_areas=len(self.constants["areas"]),
            cohort_year=self.constants["cohort_year"],
            intake=arrays["intake"],
            effect=effect,
            effect_factor=(1.0 - arrays["attribution"]) * (1.0 - arrays["optimism_effects"]),
            timing=arrays["timing"],
            profiles=arrays["profiles"],
            drop_off=arrays["drop_off"],
            unit_prices=arrays["unit_prices"],
            consequence_area=self.constants["consequence_area"],
            participant_amount=arrays["participant_amount"],
            participant_schedule=self.constants["participant_schedule"],
            participant_actor=self.constants["participant_actor"],
            participant_area=self.constants["participant_area"],
            other_costs=arrays["other_costs"],
            cost_uplift=1.0 + arrays["optimism_costs"],
        )

    def cells_per_draw(self) -> int:
        """[actor, area, year] cells of one draw."""
        return len(ACTORS) * len(self.constants["areas"]) * int(self.constants["n_years"])

    def chunk_cells(self) -> int:
        """The runner's chunk budget (model.CHUNK_CELLS)."""
        return CHUNK_CELLS

    def run_chunk(self, n: int, seed: np.random.SeedSequence | None) -> Summary:
        """Appraise ``n`` draws (point values when ``seed`` is None)."""
        return run_chunk(self, n, seed)

    def combine(self, parts: Sequence[Summary]) -> tuple[Summary, None]:
        """The chunks' summaries as one (a success-rate case has no per-arm outcomes)."""
        return combine(list(parts)), None

    def baseline(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        if self.constants["absolute"]:
            return np.zeros_like(arrays["absolute_effect"])
        return arrays["rate_without"]


@dataclass(frozen=True)
class _SetScaledVector:
    """arrays[name][:, k, :] = draw × vector (a price per krone of the stated value)."""

    name: str
    k: int
    vector: np.ndarray

    def __call__(self, arrays: dict[str, np.ndarray], draws: np.ndarray) -> None:
        arrays[self.name][:, self.k, :] = draws[:, None] * self.vector[None, :]


def prepare(loaded: LoadedCase, kb: KnowledgeBase, *, every_input: bool = False) -> Prepared:
    """Resolve a case: engine arrays at point values, uncertain inputs, metadata.

    With ``every_input`` the inputs given as plain numbers get a slot too (a ``fixed``
    distribution at their value, ``declared`` False), so that they can be varied (sensitivity).
    """
    case = loaded.case
    r = _Resolver(loaded, kb)
    n_years = case.horizon_years
    first = case.first_year
    slots: list[Slot] = []

    def uncertain(path: Path_, value: Any, apply: Callable[..., None]) -> None:
        if isinstance(value, Dist):
            slots.append(Slot(field_path(path), value, apply))
        elif every_input and isinstance(value, int | float):
            fixed = Dist(dist="fixed", value=float(value))
            slots.append(Slot(field_path(path), fixed, apply, declared=False))

    cohorts = case.target_group.cohorts
    cohort_year = np.array([c.year - first for c in cohorts], dtype=np.int64)
    intake = np.array([[point(c.intake) for c in cohorts]], dtype=np.float64)
    for c, cohort in enumerate(cohorts):
        uncertain(
            ("target_group", "cohorts", c, "intake"), cohort.intake, _SetColumn("intake", (c,))
        )

    success = case.success
    assert success is not None, "a success-rate case has a success section"
    adj = case.adjustments
    timing_spec = success.timing
    if isinstance(timing_spec, Dist):
        timing = np.asarray(timing_spec.distribution.mean(), dtype=np.float64)[None, :]
        uncertain(("success", "timing"), timing_spec, _SetColumn("timing", ()))
    else:
        timing = np.array([timing_spec or [1.0]], dtype=np.float64)

    absolute = success.absolute_effect is not None
    rates: dict[str, np.ndarray] = {}
    for name in ("rate_with", "rate_without", "absolute_effect"):
        value = getattr(success, name)
        rates[name] = np.array([point(value) if value is not None else 0.0])
        uncertain(("success", name), value, _SetColumn(name, ()))

    infos: list[ConsequenceInfo] = []
    prices: list[np.ndarray] = []
    for i, item in enumerate(case.consequences):
        info, price, per_krone = r.consequence(i, item)
        infos.append(info)
        prices.append(price)
        if item.price is not None:
            uncertain(
                ("consequences", i, "price", "value"),
                item.price.value,
                _SetScaledVector("unit_prices", i, per_krone),
            )
    n_cons = len(infos)
    n_profile = max((len(c.units_per_success) for c in case.consequences), default=1)
    profiles = np.zeros((1, n_cons, n_profile))
    for k, item in enumerate(case.consequences):
        for j, units in enumerate(item.units_per_success):
            profiles[0, k, j] = point(units)
            uncertain(
                ("consequences", k, "units_per_success", j), units, _SetColumn("profiles", (k, j))
            )
    unit_prices = (
        np.array(prices, dtype=np.float64)[None, :, :] if prices else np.zeros((1, 0, len(ACTORS)))
    )
    areas = used_areas([c.area for c in infos], [c.area for c in case.intervention.costs])
    consequence_area = np.array([areas.index(c.area) for c in infos], dtype=np.int64)

    costs = _prepare_costs(r, uncertain, areas)
    cost_rows = costs["cost_rows"]

    raw_adjustments = {
        "attribution": adj.attribution,
        "optimism_costs": adj.optimism_bias.costs,
        "optimism_effects": adj.optimism_bias.effects,
        "drop_off": adj.drop_off,
    }
    adjustment_paths = {
        "attribution": ("adjustments", "attribution"),
        "optimism_costs": ("adjustments", "optimism_bias", "costs"),
        "optimism_effects": ("adjustments", "optimism_bias", "effects"),
        "drop_off": ("adjustments", "drop_off"),
    }
    for name, value in raw_adjustments.items():
        uncertain(adjustment_paths[name], value, _SetColumn(name, ()))

    bands_costs, costs_label = r.discount(case.discounting, ("discounting",))
    if case.discounting.gains is not None:
        bands_gains, gains_label = r.discount(case.discounting.gains, ("discounting", "gains"))
    else:
        bands_gains, gains_label = bands_costs, costs_label
    convention = case.discounting.convention

    base: dict[str, np.ndarray] = {
        "intake": intake,
        "timing": timing,
        **rates,
        "profiles": profiles,
        "unit_prices": unit_prices,
        "participant_amount": costs["participant_amount"],
        "other_costs": costs["other_costs"],
        **{name: np.array([point(value)]) for name, value in raw_adjustments.items()},
    }
    constants: dict[str, Any] = {
        "areas": areas,
        "n_years": n_years,
        "absolute": absolute,
        "cohort_year": cohort_year,
        "consequence_area": consequence_area,
        "participant_schedule": costs["participant_schedule"],
        "participant_actor": costs["participant_actor"],
        "participant_area": costs["participant_area"],
    }
    adjustments = {
        key: point(value)
        for key, value in (
            ("attribution", adj.attribution),
            ("optimism_bias_costs", adj.optimism_bias.costs),
            ("optimism_bias_effects", adj.optimism_bias.effects),
            ("drop_off", adj.drop_off),
        )
        if isinstance(value, Dist) or value
    }
    meta: dict[str, Any] = {
        "consequences": infos,
        "costs": cost_rows,
        "adjustments": adjustments,
        "discounting": {
            "costs": costs_label,
            "gains": gains_label,
            "convention": convention,
        },
        "bands_costs": bands_costs,
        "bands_gains": bands_gains,
        "provenance": r.provenance,
    }
    correlation = _correlation_matrix(loaded, slots)
    return Prepared(base, constants, slots, correlation, meta)


def _correlation_matrix(loaded: LoadedCase, slots: list[Slot]) -> np.ndarray | None:
    """The correlation matrix over the uncertain inputs, from the case's ``correlations``."""
    pairs = loaded.case.correlations or []
    if not pairs:
        return None
    index = {slot.path: k for k, slot in enumerate(slots)}
    matrix = np.eye(len(slots))
    for i, pair in enumerate(pairs):
        for j, name in enumerate(pair.inputs):
            if name not in index:
                known = ", ".join(index) or msg("r_no_uncertain_inputs")
                raise loaded.error(
                    ("correlations", i, "inputs", j),
                    msg("r_correlation_input", known=known),
                    value=name,
                )
            if (
                loaded.case
                and index[name] is not None
                and slots[index[name]].spec.dist == ("dirichlet")
            ):
                raise loaded.error(
                    ("correlations", i, "inputs", j),
                    msg("r_correlation_dirichlet"),
                    value=name,
                )
        a, b = (index[n] for n in pair.inputs)
        if a == b:
            raise loaded.error(
                ("correlations", i, "inputs"), msg("r_two_inputs"), value=list(pair.inputs)
            )
        matrix[a, b] = matrix[b, a] = pair.rho
    return matrix


def _samples(prepared: Prepared, n: int, rng: np.random.Generator | None) -> list[np.ndarray]:
    """``n`` draws of each uncertain input (none when ``rng`` is None: point values)."""
    if rng is None or not prepared.slots:
        return []
    dists = [slot.spec.distribution for slot in prepared.slots]
    if prepared.correlation is not None:
        samples = sample_correlated(dists, prepared.correlation, n, rng)
    else:
        samples = [dist.sample(n, rng) for dist in dists]
    return [np.asarray(draws, dtype=np.float64) for draws in samples]


def _arrays(prepared: Prepared, samples: list[np.ndarray], start: int, n: int) -> dict[str, Any]:
    """Raw arrays for the ``n`` draws from ``start`` on: point values repeated, then each
    uncertain input's draws (``samples``, all of a chunk's) written in."""
    arrays = {name: np.repeat(value, n, axis=0) for name, value in prepared.base.items()}
    if samples:
        for slot, draws in zip(prepared.slots, samples, strict=True):
            slot.apply(arrays, draws[start : start + n])
    return arrays


def draw_arrays(prepared: Prepared, n: int, rng: np.random.Generator | None) -> dict[str, Any]:
    """The engine's raw arrays for ``n`` draws of a prepared success-rate case (point values
    when ``rng`` is None), ready for :func:`run_arrays`: the draws of a prepared case that the
    contract layer simulates."""
    return _arrays(prepared, _samples(prepared, n, rng), 0, n)


def chunk_sizes(draws: int, cells_per_draw: int, budget_cells: int = CHUNK_CELLS) -> list[int]:
    """Split ``draws`` into chunks whose [draw, actor, area, year] arrays stay small."""
    size = max(1, min(draws, budget_cells // max(1, cells_per_draw)))
    full, rest = divmod(draws, size)
    return [size] * full + ([rest] if rest else [])


def run_chunk(prepared: Prepared, n: int, seed: np.random.SeedSequence | None) -> Summary:
    """Appraise ``n`` draws (point values when ``seed`` is None): one chunk of a run. The
    chunk's draws of every uncertain input are sampled first (the random stream as ever), the
    engine arrays then built and appraised a block of ``BLOCK_DRAWS`` draws at a time."""
    rng = np.random.default_rng(seed) if seed is not None else None
    samples = _samples(prepared, n, rng)
    return _run_blocks(
        prepared,
        (
            _arrays(prepared, samples, start, min(BLOCK_DRAWS, n - start))
            for start in range(0, n, BLOCK_DRAWS)
        ),
    )


#: A chunk's draws are appraised this many at a time (``run_chunk``, ``run_arrays``), and the
#: blocks' summaries combined as chunks are (per-draw figures concatenated, means weighted by
#: draws): the arrays of a block ([actor, year, draw] of ~8,000 draws, a few hundred kB each)
#: stay in the core's cache, where a chunk's (33,333 draws for impact60) did not. Measured on
#: the 2-core VM: a chunk 8 % faster in one process, and two processes side by side slow each
#: other down less through the memory bus (two plain processes 1.75-2.0x one before, 1.9-2.0x
#: after). The per-draw figures are the same bit for bit; the means differ in the last bits
#: (the sums run block by block: 3e-15 relative), the chunks and random streams are unchanged.
#: ``run_chunk`` also builds the raw input arrays block by block (a chunk's were 27 MB for
#: impact60, its cost arrays [draw, actor, area, year] 16 MB: two workers' chunks did not fit the
#: shared cache together); the same numbers bit for bit.
BLOCK_DRAWS = 8192


def run_arrays(prepared: Prepared, arrays: dict[str, np.ndarray]) -> Summary:
    """Appraise raw arrays with a leading draw axis (one row per draw or scenario), in blocks of
    ``BLOCK_DRAWS`` draws."""
    rows = {np.shape(v)[0] if np.ndim(v) else 1 for v in arrays.values()}
    n = rows.pop() if len(rows) == 1 else 1
    blocks = (
        [arrays]
        if n <= BLOCK_DRAWS
        else [
            {k: v[lo : lo + BLOCK_DRAWS] for k, v in arrays.items()}
            for lo in range(0, n, BLOCK_DRAWS)
        ]
    )
    return _run_blocks(prepared, blocks)


def _run_blocks(prepared: Prepared, blocks: Iterable[dict[str, np.ndarray]]) -> Summary:
    """The summary of consecutive blocks of raw arrays (each made when it is needed)."""
    meta = prepared.meta
    n_years = prepared.constants["n_years"]
    convention = meta["discounting"]["convention"]
    df_costs = discount_factors(meta["bands_costs"], n_years, convention)
    df_gains = discount_factors(meta["bands_gains"], n_years, convention)
    parts = [
        success_rate_summary(prepared.inputs(b), df_gains, df_costs, prepared.baseline(b))
        for b in blocks
    ]
    summary = parts[0] if len(parts) == 1 else combine(parts)
    return expand_areas(summary, [AREAS.index(a) for a in prepared.constants["areas"]])


# A chunk mapper runs the chunks of a run (sizes and seeds) and yields their results in order:
# a Summary for a success-rate case, (Summary, OutcomeDraws) for a state-transition case.
ChunkMapper = Callable[[Any, list[int], list[np.random.SeedSequence]], Iterable[Any]]


def run_any_chunk(prepared: PreparedModel, n: int, seed: np.random.SeedSequence | None) -> Any:
    """One chunk of any kind of case (what a mapper runs, locally or on a worker)."""
    return prepared.run_chunk(n, seed)


def prepare_model(loaded: LoadedCase, kb: KnowledgeBase) -> PreparedModel:
    """A case resolved against the knowledge base and ready to run, whatever its kind of model."""
    if loaded.case.model == "state_transition":
        from socialinvest.state_transition import prepare_state_transition

        return prepare_state_transition(loaded, kb)
    return prepare(loaded, kb)


def local_chunks(
    prepared: Any, sizes: list[int], seeds: list[np.random.SeedSequence]
) -> Iterator[Any]:
    """Run the chunks one after the other in this process, in order, with one BLAS thread
    (``socialinvest.process``: the products over the draw axis are short and memory-bound)."""
    from socialinvest.process import one_blas_thread

    with one_blas_thread():
        for size, seed in zip(sizes, seeds, strict=True):
            yield run_any_chunk(prepared, size, seed)


def appraise(
    case: Case | LoadedCase,
    kb: KnowledgeBase | None = None,
    *,
    draws: int = 1,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    map_chunks: ChunkMapper | None = None,
) -> Result:
    """Run the business case: budget net result per actor, area and year, and its key figures.

    With ``draws`` > 1 every input given as a distribution is sampled (Monte Carlo); the run is
    reproducible from ``seed`` (one is chosen and recorded when none is given). One draw uses
    each distribution's mean. ``map_chunks`` runs the chunks elsewhere (e.g. on a Dask cluster);
    each chunk has its own seed derived from the run's, so the result does not depend on where
    the chunks ran.
    """
    loaded = case if isinstance(case, LoadedCase) else LoadedCase.of(case)
    if draws < 1:
        raise InputError(msg("e_draws", limit=10_000_000), field="draws", value=draws)
    from socialinvest.limits import check_case_run

    check_case_run(loaded.case, draws, loaded)  # documented maxima and memory, before any work
    knowledge = kb or default_knowledge_base()
    prepared = prepare_model(loaded, knowledge)
    run: dict[str, Any] = {"draws": draws}
    if draws == 1:
        parts = [prepared.run_chunk(1, None)]
    else:
        mapper = map_chunks or local_chunks
        cells = prepared.cells_per_draw()
        budget = prepared.chunk_cells()
        parts = _run_chunks(prepared, draws, seed, cells, run, progress, mapper, budget)
    summary, outcomes = prepared.combine(parts)
    return _result(loaded, knowledge, summary, prepared.meta, run, outcomes)


def _run_chunks(
    prepared: Any,
    draws: int,
    seed: int | None,
    cells_per_draw: int,
    run: dict[str, Any],
    progress: Callable[[int, int], None] | None,
    mapper: ChunkMapper,
    budget_cells: int = CHUNK_CELLS,
) -> list[Any]:
    """Split a run into chunks, give each a seed spawned from the run's (recorded in ``run``),
    let ``mapper`` compute them, and return their results in order."""
    root = np.random.SeedSequence(seed)
    run["seed"] = int(root.entropy) if seed is None else seed  # type: ignore[arg-type]
    sizes = chunk_sizes(draws, cells_per_draw, budget_cells)
    run["chunk_draws"] = sizes[0]
    parts = []
    done = 0
    for size, part in zip(sizes, mapper(prepared, sizes, root.spawn(len(sizes))), strict=True):
        parts.append(part)
        done += size
        if progress is not None:
            progress(done, draws)
    return parts


def to_result(
    loaded: LoadedCase,
    knowledge: KnowledgeBase,
    summary: Summary,
    meta: dict[str, Any],
    run: dict[str, Any],
    outcomes: dict[str, np.ndarray] | None = None,
) -> Result:
    """The Result of a run computed elsewhere (e.g. by the contract layer) from its summary,
    the prepared case's ``meta`` and the run's settings, with everything needed to trace it."""
    return _result(loaded, knowledge, summary, meta, run, outcomes)


def _result(
    loaded: LoadedCase,
    knowledge: KnowledgeBase,
    summary: Summary,
    meta: dict[str, Any],
    run: dict[str, Any],
    outcomes: dict[str, np.ndarray] | None = None,
) -> Result:
    """The Result of a run, with everything needed to trace it."""
    provenance: Provenance = meta["provenance"]
    return Result(
        case=loaded.case,
        file=loaded.file,
        case_sha256=loaded.sha256,
        summary=summary,
        consequences=meta["consequences"],
        costs=meta["costs"],
        adjustments=meta["adjustments"],
        discounting=meta["discounting"],
        provenance_entries=list(provenance.entries.values()),
        price_index_used=[provenance.price_index[y] for y in sorted(provenance.price_index)],
        knowledge_base_version=knowledge.version,
        # with local prices, the digest covers the national entries and the local set
        knowledge_base_digest=with_local_prices(
            knowledge, loaded.case.local_prices, loaded.file
        ).digest,
        run=run,
        outcomes=outcomes,
    )
