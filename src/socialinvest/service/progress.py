"""Progress and cancellation of long runs (what a web job or a terminal progress bar needs).

A run reports ``progress(done, total)`` after every chunk of draws it finishes. A caller that
wants to stop a run early passes ``cancel``, a function the service calls at the start and at
every progress step; when it returns True the run stops by raising :class:`Cancelled`, and
nothing of the run is returned.
"""

from __future__ import annotations

from collections.abc import Callable

#: Called with (draws done, draws in all) as a run advances.
Progress = Callable[[int, int], None]
#: Called at the start and at every progress step; True stops the run.
CancelCheck = Callable[[], bool]


class Cancelled(Exception):
    """A run stopped because its ``cancel`` check returned True."""

    def __init__(self) -> None:
        super().__init__("the run was cancelled")


def check(cancel: CancelCheck | None) -> None:
    """Raise :class:`Cancelled` when ``cancel`` says so."""
    if cancel is not None and cancel():
        raise Cancelled


def reporter(
    progress: Progress | None,
    cancel: CancelCheck | None,
    *,
    phase: int = 0,
    phases: int = 1,
) -> Progress | None:
    """A progress callback for one phase of a run of ``phases`` equal phases: it checks
    ``cancel`` and reports to ``progress`` with the phases before this one counted as done."""
    if progress is None and cancel is None:
        return None

    def report(done: int, total: int) -> None:
        check(cancel)
        if progress is not None:
            progress(phase * total + done, phases * total)

    return report
