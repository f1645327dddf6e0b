"""The verbs every kind of model offers once a case is prepared (one interface, as hesim gives
its cohort and individual models): the size of a draw, a chunk of draws, and the chunks combined.

A case is prepared once (``runner.prepare_model``: resolved against the knowledge base, with
provenance); the runner, the Dask mapper (scale.py) and the contract layer then use these verbs
and never branch on the kind of model or reach into a model's private helpers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from socialinvest.engine.summary import Summary

# The cells of a chunk's arrays unless a model sizes its chunks otherwise (``chunk_cells``).
# The chunk sizes are part of what a seed means: each chunk has its own child seed.
CHUNK_CELLS = 2_000_000


class PreparedModel(Protocol):
    """A case prepared for running: ``runner.Prepared`` (success-rate cases) and
    ``state_transition.PreparedStateTransition`` (cohort Markov and microsimulation cases)."""

    @property
    def meta(self) -> dict[str, Any]:
        """What a Result needs besides the numbers: consequences, costs, adjustments,
        discounting and the provenance of every knowledge-base value used."""
        ...

    def cells_per_draw(self) -> int:
        """The number of array cells one draw needs (chunks are sized to stay small)."""
        ...

    def chunk_cells(self) -> int:
        """The array cells a chunk may hold: a chunk has chunk_cells() // cells_per_draw()
        draws (at least one)."""
        ...

    def run_chunk(self, n: int, seed: np.random.SeedSequence | None) -> Any:
        """Run ``n`` draws (the inputs' point values when ``seed`` is None): one chunk of a
        run, picklable, so a worker elsewhere can return it."""
        ...

    def combine(self, parts: Sequence[Any]) -> tuple[Summary, dict[str, np.ndarray] | None]:
        """The chunks of a run (in order) as one summary, and the per-arm outcomes per draw when
        the model has outcomes (None otherwise)."""
        ...
