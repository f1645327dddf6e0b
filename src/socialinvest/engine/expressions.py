"""Small arithmetic expressions in case files, evaluated safely and vectorised with numpy.

A transition probability or a reward may be written as text, e.g. ``"350/1734"``,
``"1 - exp(lam * ((t - 1)**g - t**g))"`` or ``"lookup(mortality, age) / 1000 + omr"``. Only
numbers, names (parameters, ``t``, ``age``, tables), the operators + - * / ** and unary minus,
parentheses, and the functions below are allowed; anything else (attributes, subscripts, strings,
comprehensions, other calls) is rejected when the case is loaded. Nothing is ever passed to
Python's ``eval``.
"""

from __future__ import annotations

import ast
import functools
import math
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "min": np.minimum,
    "max": np.maximum,
}
TABLE_FUNCTION = "lookup"  # lookup(table, x): the value of the band with the largest break <= x


class ExpressionError(ValueError):
    """An expression that is not allowed or refers to an unknown name (one sentence).

    ``key`` and ``params`` name the message in the catalogues (``locale/*/errors.yaml``), so the
    case checks can show it in the user's language; the text is the English message."""

    def __init__(self, text: str, key: str | None = None, **params: object) -> None:
        super().__init__(text)
        self.key = key
        self.params = params


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}


@dataclass(frozen=True)
class Expression:
    """A parsed, checked expression and the names it uses."""

    text: str
    tree: ast.expr
    names: frozenset[str]
    tables: frozenset[str]

    def evaluate(
        self,
        values: Mapping[str, Any],
        tables: Mapping[str, tuple[FloatArray, FloatArray]] | None = None,
    ) -> Any:
        """The value with ``values`` for the names (numpy broadcasting applies)."""
        return _evaluate(self.tree, values, tables or {})


_ARITY: dict[str, int] = {"exp": 1, "log": 1, "sqrt": 1, "min": 2, "max": 2}
_MAX_LENGTH = 2000  # characters in one formula


def parse(text: str, known: set[str], tables: set[str]) -> Expression:
    """Parse and check an expression; ``known`` are the names it may use, ``tables`` the tables
    that ``lookup`` may read."""
    if len(text) > _MAX_LENGTH:
        raise ExpressionError(
            f"a formula of at most {_MAX_LENGTH} characters", "f_length", limit=_MAX_LENGTH
        )
    try:
        tree = ast.parse(text.strip(), mode="eval").body
        return _check(text, tree, known, tables)
    except SyntaxError as exc:
        raise ExpressionError(
            f"a formula that parses ({exc.msg})", "f_parse", column=exc.offset or 1
        ) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(
            "a simpler formula (this one is nested too deeply)", "f_nested"
        ) from None


_MAX_DEPTH = 100  # nesting of operations in one formula


def _depth(tree: ast.AST) -> int:
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _check(text: str, tree: ast.expr, known: set[str], tables: set[str]) -> Expression:
    if _depth(tree) > _MAX_DEPTH:
        raise ExpressionError("a simpler formula (this one is nested too deeply)", "f_nested")
    special: set[int] = set()  # ids of Name nodes that are a function or a table, not a value
    used_tables: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise ExpressionError("only plain function calls such as exp(x)", "f_plain_call")
            special.add(id(node.func))
            name = node.func.id
            if node.keywords:
                raise ExpressionError(
                    f"{name}() without keyword arguments", "f_keywords", name=name
                )
            if name == TABLE_FUNCTION:
                if (
                    len(node.args) != 2
                    or not isinstance(node.args[0], ast.Name)
                    or node.args[0].id not in tables
                ):
                    listed = ", ".join(sorted(tables)) or "–"
                    raise ExpressionError(
                        f"lookup(TABLE, x) with TABLE one of the tables ({listed})",
                        "f_lookup",
                        tables=listed,
                    )
                special.add(id(node.args[0]))
                used_tables.add(node.args[0].id)
            elif name not in FUNCTIONS:
                known_functions = ", ".join([*FUNCTIONS, TABLE_FUNCTION])
                raise ExpressionError(
                    f"a known function ({known_functions}), not {name}",
                    "f_function",
                    functions=known_functions,
                    name=name,
                )
            elif len(node.args) != _ARITY[name]:
                count = "one argument" if _ARITY[name] == 1 else f"{_ARITY[name]} arguments"
                raise ExpressionError(
                    f"{name}() with {count}", "f_arity", name=name, count=_ARITY[name]
                )
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float) or isinstance(node.value, bool):
                raise ExpressionError("numbers only, no text or other constants", "f_numbers")
            try:
                number = float(node.value)
            except OverflowError:
                number = math.inf
            if not math.isfinite(number):
                raise ExpressionError("numbers of a finite size", "f_finite")
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise ExpressionError("the operators + - * / ** only", "f_operators")
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                raise ExpressionError("unary minus or plus only", "f_unary")
        elif not isinstance(
            node, ast.Name | ast.operator | ast.unaryop | ast.Load | ast.expr_context
        ):
            raise ExpressionError(
                "arithmetic only (+ - * / **, numbers, names, functions), not "
                f"{type(node).__name__}",
                "f_arithmetic",
                what=type(node).__name__,
            )
    variables = {
        node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and id(node) not in special
    }
    unknown = sorted(variables - known)
    if unknown:
        listed = ", ".join(sorted(known))
        raise ExpressionError(
            f"only known names ({listed}), not {', '.join(unknown)}",
            "f_names",
            known=listed,
            unknown=", ".join(unknown),
        )
    return Expression(text, tree, frozenset(variables), frozenset(used_tables))


_Memo = tuple[Mapping[int, str], dict[str, Any]]  # node id -> operation's text, text -> value


def _evaluate(
    node: ast.expr,
    values: Mapping[str, Any],
    tables: Mapping[str, tuple[FloatArray, FloatArray]],
    memo: _Memo | None = None,
) -> Any:
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)
        return float(node.value)
    if isinstance(node, ast.Name):
        return values[node.id]
    key = memo[0].get(id(node)) if memo is not None else None
    if key is not None:
        assert memo is not None
        known = memo[1].get(key)
        if known is None:
            known = memo[1][key] = _operation(node, values, tables, memo)
        return known
    return _operation(node, values, tables, memo)


def _operation(
    node: ast.expr,
    values: Mapping[str, Any],
    tables: Mapping[str, tuple[FloatArray, FloatArray]],
    memo: _Memo | None,
) -> Any:
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](
            _evaluate(node.left, values, tables, memo), _evaluate(node.right, values, tables, memo)
        )
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values, tables, memo)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == TABLE_FUNCTION:
            assert isinstance(node.args[0], ast.Name)
            breaks, table_values = tables[node.args[0].id]
            x = np.asarray(_evaluate(node.args[1], values, tables, memo), dtype=np.float64)
            index = np.searchsorted(breaks, x, side="right") - 1
            return table_values[np.clip(index, 0, len(table_values) - 1)]
        args = [_evaluate(arg, values, tables, memo) for arg in node.args]
        return FUNCTIONS[node.func.id](*args)
    raise ExpressionError(f"cannot evaluate {type(node).__name__}")  # pragma: no cover


_OPERATIONS = (ast.BinOp, ast.UnaryOp, ast.Call)


def _fresh_out(operands: list[tuple[Any, bool]]) -> Any:
    """An operand made by this evaluation and used nowhere else (flagged fresh) that can hold
    the result: a float64 array whose shape the other operands broadcast to; or None."""
    for value, fresh in operands:
        if fresh and isinstance(value, np.ndarray) and value.dtype == np.float64:
            shape = value.shape
            if all(_fits(np.shape(other), shape) for other, _ in operands if other is not value):
                return value
    return None


def _fits(shape: tuple[int, ...], into: tuple[int, ...]) -> bool:
    """Whether an operand of ``shape`` broadcasts to ``into`` without enlarging it."""
    if len(shape) > len(into):
        return False
    return all(s == 1 or s == t for s, t in zip(shape[::-1], into[::-1], strict=False))


def _evaluate_reusing(
    node: ast.expr,
    values: Mapping[str, Any],
    tables: Mapping[str, tuple[FloatArray, FloatArray]],
    memo: _Memo,
) -> tuple[Any, bool]:
    """The value of ``node`` (as _evaluate) and whether it is a new array of this evaluation
    alone: an operation on such an array writes its result into it (the same operation, the
    same values, one array less). Kept values (``memo``) are never written into."""
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)
        return float(node.value), False
    if isinstance(node, ast.Name):
        return values[node.id], False
    key = memo[0].get(id(node))
    if key is not None:
        known = memo[1].get(key)
        if known is None:
            known = memo[1][key] = _operation_reusing(node, values, tables, memo)[0]
        return known, False
    return _operation_reusing(node, values, tables, memo)


def _operation_reusing(
    node: ast.expr,
    values: Mapping[str, Any],
    tables: Mapping[str, tuple[FloatArray, FloatArray]],
    memo: _Memo,
) -> tuple[Any, bool]:
    if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.USub):
        return _evaluate_reusing(node.operand, values, tables, memo)  # +x is x, fresh or not
    return _new_value(node, values, tables, memo), True


def _new_value(
    node: ast.expr,
    values: Mapping[str, Any],
    tables: Mapping[str, tuple[FloatArray, FloatArray]],
    memo: _Memo,
) -> Any:
    """The value of an operation, a new array (or number) of this evaluation."""
    if isinstance(node, ast.BinOp):
        operands = [
            _evaluate_reusing(side, values, tables, memo) for side in (node.left, node.right)
        ]
        out = _fresh_out(operands)
        function: Any = _BINARY[type(node.op)]  # a numpy ufunc
        if out is None:
            return function(operands[0][0], operands[1][0])
        return function(operands[0][0], operands[1][0], out=out)
    if isinstance(node, ast.UnaryOp):  # -x
        operand, fresh = _evaluate_reusing(node.operand, values, tables, memo)
        if fresh and isinstance(operand, np.ndarray) and operand.dtype == np.float64:
            return np.negative(operand, out=operand)
        return -operand
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == TABLE_FUNCTION:
            return _operation(node, values, tables, memo)
        args = [_evaluate_reusing(arg, values, tables, memo) for arg in node.args]
        out = _fresh_out(args)
        function = FUNCTIONS[node.func.id]
        if out is None:
            return function(*(value for value, _ in args))
        return function(*(value for value, _ in args), out=out)
    raise ExpressionError(f"cannot evaluate {type(node).__name__}")  # pragma: no cover


class SharedOperations:
    """Evaluates several formulas with the same values, computing an operation that occurs
    more than once among them only once: e.g. ``(t - 1)**g - t**g`` in a transition and in the
    intervention's version of it (a power over every cycle and draw is the costliest step of
    such a model). Only an operation that occurs outside the repeated operations containing it
    is kept, so the kept values are few; the results are those of separate evaluations, to
    the last bit (the same operations on the same values)."""

    def __init__(self, expressions: Iterable[Expression]) -> None:
        self._keys = _shared_keys(tuple({e.text: e for e in expressions}.values()))
        self._values: dict[str, Any] = {}

    def fresh(self) -> SharedOperations:
        """The same formulas for other values (nothing computed yet)."""
        other = object.__new__(SharedOperations)
        other._keys = self._keys
        other._values = {}
        return other

    def evaluate(
        self,
        expression: Expression,
        values: Mapping[str, Any],
        tables: Mapping[str, tuple[FloatArray, FloatArray]] | None = None,
    ) -> Any:
        """The value of ``expression`` (one of those given) with ``values``, which must be the
        same mapping in every call."""
        memo = (self._keys, self._values)
        return _evaluate_reusing(expression.tree, values, tables or {}, memo)[0]


def evaluation_plan(
    formulas: Mapping[str, str], given: set[str], tables: set[str]
) -> list[tuple[str, Expression]]:
    """The named formulas, parsed, in an order in which each comes after the names it uses.

    ``given`` are the names known from the start. A formula whose names are never all known
    (an unknown name, or formulas that depend on each other in a circle) raises
    ExpressionError naming it. Each formula is parsed once and the order is found by Kahn's
    algorithm, so a chain of n formulas takes time linear in n (not quadratic).
    """
    known = set(given) | set(formulas)
    parsed = {name: parse(text, known, tables) for name, text in formulas.items()}
    waiting: dict[str, int] = {}
    users: dict[str, list[str]] = {}
    for name, expression in parsed.items():
        needs = [used for used in expression.names if used in parsed and used not in given]
        waiting[name] = len(needs)
        for used in needs:
            users.setdefault(used, []).append(name)
    ready = deque(name for name in parsed if waiting[name] == 0)
    plan: list[tuple[str, Expression]] = []
    while ready:
        name = ready.popleft()
        plan.append((name, parsed[name]))
        for user in users.get(name, ()):
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    if len(plan) < len(parsed):
        done = {name for name, _ in plan}
        remaining = [name for name in parsed if name not in done]
        name = remaining[0]
        others = ", ".join(sorted(set(remaining) - {name}))
        raise ExpressionError(
            f"formulas that do not depend on each other in a circle ({name} and "
            f"{others} need each other)",
            "f_circle",
            name=name,
            others=others,
        )
    return plan


def evaluation_order(formulas: Mapping[str, str], given: set[str], tables: set[str]) -> list[str]:
    """The names of :func:`evaluation_plan`, in order."""
    return [name for name, _ in evaluation_plan(formulas, given, tables)]


@functools.lru_cache(maxsize=64)
def _shared_keys(expressions: tuple[Expression, ...]) -> dict[int, str]:
    """id of an operation's node → its text, for the operations of ``expressions`` that are
    worth keeping (see SharedOperations). Cached with the expressions themselves, so the ids
    stay those of live nodes."""
    counts: Counter[str] = Counter()
    found: list[tuple[int, str, int | None]] = []  # node, its text, its operation parent
    for expression in expressions:
        stack: list[tuple[ast.AST, int | None]] = [(expression.tree, None)]
        while stack:
            node, parent = stack.pop()
            if isinstance(node, _OPERATIONS):
                found.append((id(node), ast.dump(node), parent))
                parent = id(node)
            stack.extend((child, parent) for child in ast.iter_child_nodes(node))
    counts.update(text for _, text, _ in found)
    text_of = {node_id: text for node_id, text, _ in found}
    keys: dict[int, str] = {}
    for node_id, text, parent in found:
        above = counts[text_of[parent]] if parent is not None else 0
        if counts[text] > 1 and counts[text] > above:
            keys[node_id] = text
    return keys
