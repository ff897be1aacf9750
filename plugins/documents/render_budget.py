"""The sandbox document templates render in, with a budget no template can exceed.

Jinja's sandbox keeps a template away from the portal's objects but lets it spend without bound:
nested loops of ten million steps, a recursive macro, a string doubled until memory runs out. Here
every render gets a budget, and a template that would go beyond it stops with a message for the
administrator who wrote it:

- at most ``MAX_REPEATS`` loop steps and macro calls together, counted across nested loops;
- no text or list larger than ``MAX_OUTPUT`` characters, estimated *before* an operation that could
  make one (``*``, ``+``, ``~``, ``%``, string methods and filters such as ``join`` or ``replace``),
  and the whole output streamed and stopped at that size;
- at most ``MAX_SECONDS`` of rendering, checked at every loop step, call and filter (cooperatively:
  no signals or threads, so it is safe in any worker).
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

from flask_babel import gettext as _
from jinja2 import StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, Macro, markup_join
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_REPEATS = 10_000
MAX_OUTPUT = 1_000_000  # characters of text a template may make, in one value or in all its output
MAX_SECONDS = 3.0
MAX_POWER = 64

# %-style and str.format widths and precisions: "%9999999s", "{:>9999999}".
PERCENT_WIDTHS = re.compile(r"%[-#0 +]*(\d*)(?:\.(\d*))?")
BRACE_WIDTHS = re.compile(r"\{[^{}]*?:[^{}\d]*(\d*)(?:\.(\d*))?")
ITERATING_FILTERS = frozenset(["join", "batch", "slice"])
AMPLIFYING_STR_METHODS = frozenset(
    ["join", "center", "ljust", "rjust", "zfill", "expandtabs", "replace", "format", "format_map"]
)


class BudgetExceededError(SecurityError):
    """The template would go beyond its render budget; the message says which part and by how much."""


def weight(value: Any) -> int:
    """Characters a value stands for once written out: a string's length, a list's items' together."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (list, tuple)):
        return len(value) + sum(len(item) if isinstance(item, str) else 1 for item in value)
    if isinstance(value, dict):
        return len(value) + sum(weight(key) + weight(item) for key, item in value.items())
    return 1


def _format_weight(template: str, arguments: Any) -> int:
    """An upper bound of a formatted text: the template, every width and precision, the arguments."""
    pattern = BRACE_WIDTHS if "{" in template else PERCENT_WIDTHS
    widths = sum(int(number or 0) for match in pattern.finditer(template) for number in match.groups())
    return len(template) + widths + weight(arguments)


def _filter_estimates() -> dict[str, Callable[..., int]]:
    """Filter name → the size of what it would make, from its arguments, before it makes it."""

    def replace(value: Any, old: str, new: str, count: int | None = None) -> int:
        text = str(value)
        times = text.count(str(old)) if old else len(text) + 1
        return len(text) + min(times, count if count is not None and count >= 0 else times) * len(str(new))

    def indent(value: Any, width: int | str = 4, *_: Any, **__: Any) -> int:
        text = str(value)
        return len(text) + (width if isinstance(width, int) else len(str(width))) * (text.count("\n") + 1)

    def join(value: list[Any], d: str = "", *_: Any, **__: Any) -> int:
        return sum(weight(item) for item in value) + len(str(d)) * max(len(value) - 1, 0)

    def filled(value: list[Any], count: int, fill_with: Any = None) -> int:
        return weight(value) + (weight(fill_with) * count if fill_with is not None else 0)

    return {
        "center": lambda value, width=80: max(len(str(value)), width if isinstance(width, int) else 0),
        "indent": indent,
        "replace": replace,
        "join": join,
        "format": lambda value, *args, **kwargs: _format_weight(str(value), [*args, *kwargs.values()]),
        "batch": filled,
        "slice": filled,
        "string": weight,
        "pprint": lambda value: 2 * weight(value),
        "tojson": lambda value, indent=None: 2 * weight(value),
    }


class Budget:
    """What one render may still spend: steps, and time until its deadline."""

    def __init__(self) -> None:
        self.steps = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def step(self) -> None:
        """One loop step or macro call."""
        self.steps += 1
        if self.steps > MAX_REPEATS:
            self.refuse_repeats()
        self.check_time()

    def refuse_repeats(self) -> None:
        raise BudgetExceededError(
            _(
                "This template repeats more than %(count)s times (loops and macro calls together). "
                "Make its loops shorter.",
                count=f"{MAX_REPEATS:,}",
            )
        )

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise BudgetExceededError(
                _("This template takes more than %(seconds)d seconds to fill in.", seconds=MAX_SECONDS)
            )

    def size(self, characters: int) -> None:
        """Refuse to make (or keep making) a text of ``characters``."""
        if characters > MAX_OUTPUT:
            raise BudgetExceededError(
                _(
                    "This template makes more than %(count)s characters of text. Make it shorter.",
                    count=f"{MAX_OUTPUT:,}",
                )
            )


class BudgetedCodeGenerator(CodeGenerator):
    """Jinja's compiler, counting each loop step and sizing each ``~`` before it joins."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:  # noqa: N802 (Jinja's visitor names)
        if node.recursive:
            self.fail("Recursive loops are not available in document templates.", node.lineno)
        # cast: Jinja types a loop's iterable as any node, but its parser only ever puts an expression there.
        node.iter = _environment_call("counted", [cast(nodes.Expr, node.iter)], node.lineno)
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802
        self.visit(_environment_call("tilde_join", list(node.nodes), node.lineno), frame)


def _environment_call(method: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
    """``environment.<method>(*args)`` as a template expression, called through the sandbox."""
    call = nodes.Call(nodes.EnvironmentAttribute(method), args, [], None, None)
    call.set_lineno(lineno)
    return call


class BudgetedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with a fresh ``Budget``; make one per render."""

    code_generator_class = BudgetedCodeGenerator
    intercepted_binops = frozenset(["*", "**", "+", "%"])

    def __init__(self) -> None:
        super().__init__(autoescape=True, undefined=StrictUndefined, finalize=self._finalize)
        self.budget = Budget()
        self.globals.clear()
        self.globals["range"] = self.bounded_range
        estimates = _filter_estimates()
        self.filters = {name: self._guarded(name, f, estimates.get(name)) for name, f in self.filters.items()}

    # -- hooks the compiled template calls -----------------------------------------------------------

    def counted(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """A loop's items, one budget step each."""
        for item in iterable:
            self.budget.step()
            yield item

    def tilde_join(self, *parts: Any) -> str:
        """``a ~ b``: the parts' sizes added up first, then joined (escaped as the template is)."""
        self.budget.size(sum(weight(part) for part in parts))
        return markup_join(parts)

    def bounded_range(self, *args: int) -> range:
        """``range`` for templates: no longer than a loop may repeat."""
        numbers = range(*args)
        if len(numbers) > MAX_REPEATS:
            self.budget.refuse_repeats()
        return numbers

    def _finalize(self, value: Any) -> Any:
        self.budget.size(weight(value))
        return value

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """Every call from a template: macros spend a step, string methods are sized first."""
        if isinstance(__obj, Macro):
            __self.budget.step()
        else:
            __self.budget.check_time()
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str) and getattr(__obj, "__name__", "") in AMPLIFYING_STR_METHODS:
            __self.budget.size(__self._str_method_weight(owner, __obj.__name__, args, kwargs))
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """``*``, ``+``, ``%`` and ``**`` sized before they run: a huge string never exists."""
        self.budget.check_time()
        if operator == "**" and (not isinstance(right, int) or abs(right) > MAX_POWER):
            raise SecurityError(_("Powers above %(max)d are not allowed in templates.", max=MAX_POWER))
        sequences = (str, list, tuple)
        if operator == "*" and any(isinstance(side, sequences) for side in (left, right)):
            sequence, count = (left, right) if isinstance(left, sequences) else (right, left)
            if isinstance(count, int):
                self.budget.size(weight(sequence) * count)
        if operator == "+" and isinstance(left, sequences) and isinstance(right, sequences):
            self.budget.size(weight(left) + weight(right))
        if operator == "%" and isinstance(left, str):
            self.budget.size(_format_weight(left, right))
        return super().call_binop(context, operator, left, right)

    # -- helpers -----------------------------------------------------------------------------------

    @staticmethod
    def _str_method_weight(text: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
        numbers = [value for value in (*args, *kwargs.values()) if isinstance(value, int)]
        if name == "join":
            items = list(args[0]) if args else []
            return sum(weight(item) for item in items) + len(text) * max(len(items) - 1, 0)
        if name in ("format", "format_map"):
            return _format_weight(text, [*args, *kwargs.values()])
        if name == "replace" and len(args) >= 2:
            return len(text) + (text.count(str(args[0])) + 1) * len(str(args[1]))
        if name == "expandtabs":
            return len(text) * max(numbers or [8])
        return max([len(text), *numbers])

    def _guarded(self, name: str, function: Callable[..., Any], estimate: Callable[..., int] | None):
        """A filter that checks the clock, sizes its result beforehand where it can, and after."""
        passes_first = hasattr(function, "jinja_pass_arg")

        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            self.budget.check_time()
            if estimate is not None:
                head, rest = (args[:1], args[1:]) if passes_first else ((), args)
                value, *more = rest
                if name in ITERATING_FILTERS and not isinstance(value, (str, list, tuple, dict)):
                    value = list(value)  # sized once, then handed on, not iterated twice
                self.budget.size(estimate(value, *more, **kwargs))
                args = (*head, value, *more)
            result = function(*args, **kwargs)
            if isinstance(result, (str, list, tuple)):
                self.budget.size(weight(result))
            return result

        return guarded
