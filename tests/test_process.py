"""BLAS threads pinned for the Monte Carlo loops (socialinvest.process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from socialinvest import process as threads


def _counts() -> list[int]:
    return [int(get()) for _, get in threads._loaded_openblas()]  # type: ignore[operator]


def test_one_thread_inside_and_the_count_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    np.ones((4, 4)) @ np.ones(4)  # numpy's OpenBLAS is loaded
    if not threads._loaded_openblas():
        pytest.skip("no OpenBLAS with a known setter in this process")
    for setter, _ in threads._loaded_openblas():
        setter(2)  # type: ignore[operator]
    with threads.one_blas_thread():
        assert _counts() == [1] * len(_counts())
    assert _counts() == [2] * len(_counts())


def test_the_libraries_are_looked_for_again_only_after_an_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scans: list[int] = []
    scan = threads._scan_openblas

    def counted() -> list[tuple[object, object]]:
        scans.append(1)
        return scan()

    monkeypatch.setattr(threads, "_scan_openblas", counted)
    monkeypatch.setattr(threads, "_FOUND", None)
    first = threads._loaded_openblas()
    assert threads._loaded_openblas() == first and len(scans) == 1  # nothing imported since
    monkeypatch.setitem(sys.modules, "socialinvest_test_new_module", sys)  # as an import does
    assert threads._loaded_openblas() == first and len(scans) == 2  # /proc/self/maps read again


def test_a_library_loaded_without_an_import_is_found() -> None:
    """An OpenBLAS that is loaded while no module is imported (ctypes, a library loading it
    lazily) is found the next time: scipy's own OpenBLAS, loaded by its path, beside numpy's."""
    import importlib.util

    spec = importlib.util.find_spec("scipy")  # not imported: its OpenBLAS is not loaded
    assert spec is not None and spec.submodule_search_locations
    libs = Path(next(iter(spec.submodule_search_locations))).parent / "scipy.libs"
    found = sorted(libs.glob("libscipy_openblas*.so"))
    if not found:
        pytest.skip("this scipy has no OpenBLAS of its own")
    script = (
        "import ctypes, sys\n"
        "from socialinvest import process\n"
        "before = len(process._loaded_openblas())\n"
        f"ctypes.CDLL({str(found[0])!r})\n"
        "print(before, len(process._loaded_openblas()), len(process._scan_openblas()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    before, after, there = (int(x) for x in out)
    assert there == before + 1  # scipy's OpenBLAS is loaded now
    assert after == there


def test_the_users_choice_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    before = _counts()
    with threads.one_blas_thread():
        assert _counts() == before
    threads.pin_environment()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "2"


def test_pinned_before_numpy_loads_one_thread() -> None:
    """What the command line does first (cli.main): numpy's pool then has one thread."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
    }
    code = (
        "import json, os; from socialinvest import process as threads; threads.pin_environment();"
        "import numpy; np_ok = numpy.ones(2) @ numpy.ones(2);"
        "print(json.dumps([os.environ['OPENBLAS_NUM_THREADS'],"
        " [int(g()) for _, g in threads._loaded_openblas()]]))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    variable, counts = json.loads(out.stdout)
    assert variable == "1"
    assert counts and set(counts) == {1}


def test_the_allocator_setting_is_left_to_a_user_who_set_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "2")
    assert threads.keep_freed_memory() is False


def test_freed_memory_is_reused_without_new_page_faults() -> None:
    """Three 16 MiB arrays made and freed 20 times: glibc alone gives the freed top of its heap
    back each time, so pages are faulted in again every round (about 30,000 faults here);
    with the setting they are reused (about 1,500)."""
    code = (
        "import resource, sys, numpy as np; from socialinvest import process;"
        "on = sys.argv[1] == '1'; on and process.keep_freed_memory();"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt;"
        "[sum(a.sum() for a in [np.ones(2 << 20) for _ in range(3)]) for _ in range(20)];"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    faults = {}
    for on in ("0", "1"):
        out = subprocess.run(
            [sys.executable, "-c", code, on], env=env, capture_output=True, text=True, check=True
        )
        faults[on] = int(out.stdout)
    assert faults["0"] > 8 * faults["1"]


def test_the_command_line_runs_a_command_of_its_own_from_a_small_copy() -> None:
    """cli.main builds only the command asked for (typer reads every command's signature);
    the output is the full application's."""
    from typer.testing import CliRunner

    from socialinvest import cli

    case = str(Path(__file__).parents[1] / "examples" / "impact60-job-education.yaml")
    small = cli._app_for(["socialinvest", "run", case])
    assert small is not cli.app and len(small.registered_commands) == 1
    assert cli._app_for(["socialinvest", "ledger", "create"]) is cli.app
    assert cli._app_for(["socialinvest", "--help"]) is cli.app
    runner = CliRunner()
    args = ["run", case, "--format", "json"]
    full, part = runner.invoke(cli.app, args), runner.invoke(small, args)
    assert full.exit_code == part.exit_code == 0
    assert part.output == full.output
    helps = runner.invoke(cli.app, ["run", "--help"]), runner.invoke(small, ["run", "--help"])
    assert helps[0].output == helps[1].output
