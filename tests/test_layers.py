"""The layers of the package hold: every import (at the top of a module, inside a function, or
under TYPE_CHECKING) goes from a layer to one it may use, and no two modules import each other
(directly or round a circle). The table is the one in docs/architecture.md ("Layers"); a new
upward import, a new circle or a new top-level module that is not in the table fails here.

Imports are read with ``ast`` from the source files, so nothing is imported to check them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "socialinvest"
#: ``from socialinvest import __version__`` reads a constant of the package, nothing above it.
VERSION = "socialinvest.__version__"

# Module (or package) → layer; the longest matching prefix decides.
LAYER_OF = {
    "socialinvest.vocabulary": "leaves",
    "socialinvest.errors": "leaves",
    "socialinvest.source": "leaves",
    "socialinvest.safe_input": "leaves",  # reading untrusted files within limits
    "socialinvest.limits": "leaves",
    "socialinvest.finite": "leaves",
    "socialinvest.process": "leaves",  # the process: BLAS threads, glibc allocator (no model)
    "socialinvest.bundled": "leaves",  # where the bundled example files are (no model)
    "socialinvest.output.messages": "leaves",  # the message catalogues (errors use them)
    "socialinvest.output.numbers": "leaves",  # number formats by language (Babel), no model
    VERSION: "leaves",
    "socialinvest.engine": "engine",
    "socialinvest.knowledge": "knowledge",
    "socialinvest.contract": "contract core",  # the package and payments, finance, returns, metrics
    "socialinvest.case": "case",
    "socialinvest.inputs": "case",  # every input of a case with its status (reads a case)
    "socialinvest.result": "result",
    "socialinvest.resolve": "model base",
    "socialinvest.model": "model base",
    "socialinvest.state_transition": "state transition",
    "socialinvest.runner": "run",
    "socialinvest.scale": "run",
    "socialinvest.analysis": "analysis",
    "socialinvest.contract.partnership": "partnership",
    "socialinvest.contract.designer": "partnership",
    "socialinvest.contract.result": "partnership",
    "socialinvest.contract.indigo": "partnership",
    "socialinvest.contract.account": "partnership",
    "socialinvest.draws": "presentation",  # how many draws a statement needs (reads a case)
    "socialinvest.ledger": "ledger",
    "socialinvest.output": "presentation",
    "socialinvest.report": "presentation",
    "socialinvest.store": "store",
    "socialinvest.service": "service",
    "socialinvest.cli": "cli",
    "socialinvest.web": "web",
    "socialinvest": "python api",  # the package's own __init__: load_case and appraise, lazily
}

_LOW = {"leaves"}
_PURE = _LOW | {"engine"}
_INPUT = _PURE | {"knowledge", "contract core", "case"}
_MODEL = _INPUT | {"result", "model base", "state transition", "run"}
_RESULTS = _INPUT | {"result", "analysis", "partnership"}

# Layer → the layers its modules may import (besides its own).
MAY_IMPORT: dict[str, set[str]] = {
    "leaves": set(),
    "engine": set(),  # the pure engine imports nothing of the package but itself
    "knowledge": _LOW,
    "contract core": _PURE,
    "case": _PURE | {"knowledge", "contract core"},
    "result": _PURE | {"case"},
    "model base": _PURE | {"knowledge", "case", "result"},
    "state transition": _PURE | {"knowledge", "case", "result", "model base"},
    "run": _PURE | {"knowledge", "case", "result", "model base", "state transition"},
    "analysis": _MODEL,
    "partnership": _MODEL,
    "ledger": _MODEL | {"partnership"},  # running contracts; pure: no database, no web
    "presentation": _RESULTS,  # shows given results; never runs a model (see RUNS_A_MODEL)
    "store": _INPUT,  # nothing above case and knowledge
    "service": _MODEL | _RESULTS | {"presentation", "store", "ledger"},
    "cli": _LOW | {"service", "presentation", "web"},  # registers `serve`, `db`, `users`
    "web": _LOW | {"service", "store", "presentation"},
    "python api": _LOW | {"case", "run"},
}

# Names that run a model (or a part of one): presentation may not import them, whichever
# module it takes them from.
RUNS_A_MODEL = {
    "analyse",
    "appraise",
    "compare",
    "evaluate_contract",
    "prepare_contract",
    "simulate_outcomes",
    "prepare_state_transition",
    "run_chunk",
    "run_arrays",
    "run_any_chunk",
}

# The few imports across the table, each with its reason.
EXCEPTIONS: dict[tuple[str, str], set[str]] = {
    # The workbook checks its own decomposition of the inputs against the point values the
    # runner resolves (no draws, no engine run).
    ("socialinvest.report.xlsx_inputs", "socialinvest.runner"): {"prepare"},
}


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    names: tuple[str, ...]
    line: int
    type_checking: bool


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, guarded: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node with whether it sits under ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for inner in child.body:
                yield inner, True
                yield from _walk(inner, True)
            for inner in child.orelse:
                yield inner, guarded
                yield from _walk(inner, guarded)
            continue
        yield child, guarded
        yield from _walk(child, guarded)


def _imports(module: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node, guarded in _walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    found.append(Import(module, alias.name, (), node.lineno, guarded))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                name = f"{source}.{alias.name}"
                if name in MODULES:  # from a package import a module
                    found.append(Import(module, name, (), node.lineno, guarded))
                elif name == VERSION:
                    found.append(Import(module, VERSION, (), node.lineno, guarded))
                else:
                    found.append(Import(module, source, (alias.name,), node.lineno, guarded))
    return found


IMPORTS = [imp for module, path in MODULES.items() for imp in _imports(module, path)]


def layer_of(module: str) -> str | None:
    best = max((p for p in LAYER_OF if module == p or module.startswith(p + ".")), key=len)
    if best == PACKAGE and module != PACKAGE:
        return None  # a top-level module the table does not know yet
    return LAYER_OF[best]


def test_every_module_has_a_layer():
    unknown = sorted(m for m in MODULES if layer_of(m) is None)
    assert not unknown, f"add these modules to LAYER_OF and docs/architecture.md: {unknown}"


def test_the_layers_form_no_circle():
    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in MAY_IMPORT[start] - seen:
            if nxt == goal or reaches(nxt, goal, seen | {nxt}):
                return True
        return False

    assert set(MAY_IMPORT) == set(LAYER_OF.values())
    circles = [layer for layer in MAY_IMPORT if reaches(layer, layer, set())]
    assert not circles


def _violations(imports: list[Import]) -> list[str]:
    out = []
    for imp in imports:
        source, target = layer_of(imp.importer), layer_of(imp.target)
        assert source is not None and target is not None
        where = f"{imp.importer}:{imp.line} imports {imp.target}"
        allowed = EXCEPTIONS.get((imp.importer, imp.target))
        if allowed is not None and imp.names and set(imp.names) <= allowed:
            continue
        if target != source and target not in MAY_IMPORT[source]:
            out.append(f"{where} ({source} → {target})")
        elif source == "presentation" and RUNS_A_MODEL & set(imp.names):
            out.append(f"{where}: {sorted(RUNS_A_MODEL & set(imp.names))} runs a model")
    return out


def test_every_import_goes_to_a_layer_it_may_use():
    assert _violations(IMPORTS) == []


def test_no_modules_import_each_other():
    """Circles between modules, counting imports inside functions (the ones put there to hide
    a circle) but not those only for type checking."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for imp in IMPORTS:
        if not imp.type_checking and imp.target in MODULES and imp.target != imp.importer:
            graph[imp.importer].add(imp.target)
    circles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append(" → ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert circles == []


def test_no_module_takes_a_private_name_of_another():
    """What one module uses of another is public (the contract layer used to reach into the
    runner's and the state-transition model's private helpers)."""
    private = [
        f"{imp.importer}:{imp.line} takes {name} from {imp.target}"
        for imp in IMPORTS
        for name in imp.names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert private == []


@pytest.mark.parametrize(
    ("importer", "source", "names", "rule"),
    [
        ("socialinvest.engine.markov", "socialinvest.case.models", ("Case",), "engine → case"),
        ("socialinvest.case.checks", "socialinvest.runner", ("appraise",), "case → run"),
        ("socialinvest.contract.payments", "socialinvest.runner", ("prepare",), "core → run"),
        ("socialinvest.report.html", "socialinvest.runner", ("appraise",), "presentation → run"),
        ("socialinvest.output.table", "socialinvest.analysis.sensitivity", ("analyse",), "runs"),
        ("socialinvest.cli", "socialinvest.runner", ("appraise",), "cli → run"),
        ("socialinvest.store.cases", "socialinvest.runner", ("appraise",), "store → run"),
        ("socialinvest.ledger.postings", "socialinvest.store", ("x",), "ledger → store"),
        ("socialinvest.ledger.postings", "socialinvest.service", ("x",), "ledger → service"),
        ("socialinvest.errors", "socialinvest.output.table", ("render",), "leaf → output"),
        ("socialinvest.web.app", "socialinvest.runner", ("appraise",), "web → run"),
    ],
)
def test_an_upward_import_is_caught(importer, source, names, rule):
    """The check itself fails on the imports the layers forbid (``rule`` names the case)."""
    (found,) = _violations([*IMPORTS, Import(importer, source, names, 1, False)])
    assert found.startswith(f"{importer}:1 imports {source}")
