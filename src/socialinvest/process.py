"""Settings of the command's own process: BLAS threads and glibc's allocator.

BLAS threads: one per process for the Monte Carlo loops, unless the user chose otherwise.

numpy's OpenBLAS starts a thread per core when it is loaded, and those threads spin while they
wait for work. The products the engine does (means over the draw axis, [year, draw] by [draw]
and the like) are memory-bound and short, so on a small or shared machine the extra threads
burn CPU time without shortening the run: on the 2-core benchmark machine impact60-uncertain at
1,000,000 draws took 3.1 s of CPU with OpenBLAS's default threads and 2.3 s with one
(benchmarks/bench_speed.py). Two ways to get one thread:

* ``pin_environment()``, called by the command line before numpy is imported, sets
  ``OPENBLAS_NUM_THREADS=1`` (also saving the pool's start-up, about 40 ms of a command);
* ``one_blas_thread()``, a context manager for code that runs in a process where numpy is
  already loaded (the Python API), sets OpenBLAS's thread count through its C function for the
  duration and restores it afterwards.

Both leave everything as it is when the user has set ``OPENBLAS_NUM_THREADS`` (or
``OMP_NUM_THREADS``) themselves, and ``one_blas_thread`` does nothing when no OpenBLAS library
with a known setter is loaded (another BLAS, another platform).

glibc's allocator (``keep_freed_memory``, called by the command line): a Monte Carlo run makes
and frees many arrays of a few to some tens of MB. glibc serves each from a fresh mapping (or
gives the top of its heap back after a free), so every new array is page-faulted in again: the
contract examples at 10,000 draws took 150,000–240,000 page faults, 0.6–0.9 s of system time.
Serving arrays up to 64 MiB from the heap and keeping up to 256 MiB of freed memory for reuse
cuts the faults to 30,000–50,000 and the system time to 0.1–0.5 s; the peak memory stays the
same (the memory is reused, not added). Not for `socialinvest serve` (a long-running process
should give memory back); skipped when the user set glibc's MALLOC_* variables, and on other
C libraries.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_CHOSEN_BY_USER = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")

# (setter, getter) names of the OpenBLAS builds numpy and scipy ship (their symbols carry a
# prefix and, for the 64-bit integer build, a suffix) and of a plain OpenBLAS
_SYMBOLS = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
)


def user_chose() -> bool:
    """Whether the user set the BLAS thread count in the environment."""
    return any(name in os.environ for name in _CHOSEN_BY_USER)


def pin_environment() -> None:
    """One OpenBLAS thread for this process and its children, unless the user chose a number;
    effective only before numpy is imported."""
    if not user_chose():
        os.environ["OPENBLAS_NUM_THREADS"] = "1"


def _loaded_openblas() -> list[tuple[object, object]]:
    """(set, get) C functions of every OpenBLAS library loaded in this process (Linux: read
    from /proc/self/maps; elsewhere none). The maps are read again only when a library has been
    mapped since the last time (the kernel's size of the process's library code, VmLib, has
    changed: an OpenBLAS comes with an extension module, e.g. scipy's own, or through ctypes)
    or a module has been imported: reading them took ~0.5 ms, a tenth of a 1,000-draw
    state-transition run; VmLib takes ~16 µs. The functions of a library already seen are
    reused (a loaded library stays loaded)."""
    global _FOUND
    loaded = (_library_code(), len(sys.modules))
    if _FOUND is not None and _FOUND[0] == loaded:
        return _FOUND[1]
    found = _scan_openblas()
    _FOUND = (loaded, found)
    return found


#: (library code size, number of imported modules; controls) of the last reading of the maps
_FOUND: tuple[tuple[bytes | None, int], list[tuple[object, object]]] | None = None


def _library_code() -> bytes | None:
    """The size of the shared library code mapped in this process (Linux's VmLib line of
    /proc/self/status), or None where it is not to be had. (Not glibc's load count through
    dl_iterate_phdr: its callback into Python, made without the GIL under the loader's lock,
    can deadlock against a thread that holds the GIL while it imports an extension module.)"""
    try:
        with open("/proc/self/status", "rb") as status:
            text = status.read()
    except OSError:
        return None
    at = text.find(b"VmLib:")
    return None if at == -1 else text[at : text.find(b"\n", at)]


def _scan_openblas() -> list[tuple[object, object]]:
    """The controls of every OpenBLAS in /proc/self/maps (read now)."""
    paths: set[str] = set()
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            text = maps.read()
    except OSError:
        text = ""
    lower = text.lower()
    at = lower.find("openblas")
    while at != -1:  # only the lines that name openblas (most name other libraries)
        end = text.find("\n", at)
        end = len(text) if end == -1 else end
        path = text[text.rfind("\n", 0, at) + 1 : end].rsplit(" ", 1)[-1].strip()
        if "openblas" in os.path.basename(path).lower() and ".so" in path:
            paths.add(path)
        at = lower.find("openblas", end)
    found: list[tuple[object, object]] = []
    for path in sorted(paths):
        if path not in _CONTROLS:
            _CONTROLS[path] = _controls(path)
        control = _CONTROLS[path]
        if control is not None:
            found.append(control)
    return found


_CONTROLS: dict[str, tuple[object, object] | None] = {}  # library path -> (set, get)


def _controls(path: str) -> tuple[object, object] | None:
    """The (set, get) thread-count functions of the OpenBLAS library at ``path``, or None."""
    try:
        library = ctypes.CDLL(path)
    except OSError:
        return None
    for set_name, get_name in _SYMBOLS:
        setter = getattr(library, set_name, None)
        getter = getattr(library, get_name, None)
        if setter is not None and getter is not None:
            getter.restype = ctypes.c_int
            setter.argtypes = [ctypes.c_int]
            setter.restype = None
            return setter, getter
    return None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the body with one OpenBLAS thread in every loaded OpenBLAS, then restore the
    previous counts. Does nothing when the user set the thread count or none is found."""
    if user_chose():
        yield
        return
    controls = _loaded_openblas()
    before = [int(get()) for _, get in controls]  # type: ignore[operator]
    for setter, _ in controls:
        setter(1)  # type: ignore[operator]
    try:
        yield
    finally:
        for (setter, _), n in zip(controls, before, strict=True):
            setter(n)  # type: ignore[operator]


# mallopt parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_freed_memory() -> bool:
    """Let glibc reuse freed memory for large arrays instead of mapping fresh pages each time
    (see the module docstring); whether it was done."""
    if any(name.startswith("MALLOC_") for name in os.environ):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, 64 << 20) == 1
    return bool(mallopt(_M_TRIM_THRESHOLD, 256 << 20) == 1) and ok
