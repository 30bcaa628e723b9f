"""Rendering the Jinja2 that agents write: saved replies and signatures.

Templates are written by one agent, shared with the team and filled with customer data,
so they run in Jinja2's ImmutableSandboxedEnvironment, narrowed further:

- the context is plain data only: dicts, lists and strings (template_context builds it);
- globals are `range` alone; nothing can be included, imported or extended, and `{% block %}`
  is not offered (there is no other template to share blocks with);
- strings offer only methods that cannot reach further (`str.format` is not one of them);
  dicts `items`, `keys`, `values`, `get`; lists `count`, `index`; numbers nothing;
- the sandbox already refuses underscored attributes and Python internals: here the
  attempt fails the render at once, instead of rendering an empty value;
- every text or list a template builds (operators, `~`, filters, method calls, captured
  blocks, macro output) is measured before it is made: nothing grows past MAX_OUTPUT_CHARS
  characters or MAX_ITEMS items; loops together step at most MAX_LOOP_STEPS times, macros
  nest at most MAX_DEPTH deep, and a render stops after MAX_SECONDS.

A missing value, even a nested one (`customer.name` when there is no customer), renders
empty, so a template never breaks a reply for want of data. Every failure is one line:
"template NAME: line N: what is wrong".
"""

from __future__ import annotations

import contextvars
import functools
import re
import sys
import time
import types
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import Any, Protocol, cast

from jinja2 import ChainableUndefined, TemplateSyntaxError, UndefinedError, nodes, pass_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.filters import FILTERS
from jinja2.runtime import Context, Macro
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment, SecurityError, safe_range
from markupsafe import Markup

from engine.errors import InvalidInputError
from engine.models import Agent, Customer
from engine.sanitize import sanitize_line
from engine.templates import MAX_SOURCE_CHARS

__all__ = [
    "MAX_OUTPUT_CHARS",
    "MAX_SOURCE_CHARS",
    "TemplateError",
    "render",
    "template_context",
]

MAX_OUTPUT_CHARS = 100_000
MAX_ITEMS = MAX_RANGE  # the sandbox's own bound on range()
MAX_LOOP_STEPS = 250_000
MAX_DEPTH = 20
MAX_SECONDS = 2.0
MAX_INT_BITS = 10_000  # about 3,000 digits: Python itself refuses to print far longer
_MAX_MESSAGE = 240

UNREACHABLE = "uses something templates may not reach"

# Characters that would act on a terminal showing the source, or reorder what a reviewer
# reads (bidi embeddings, overrides, isolates). Tab and newline are text.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_TEMPLATE_FILE = "<template>"
_NOT_OFFERED = {
    nodes.Extends: "{% extends %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from ... import %}",
    nodes.Block: "{% block %}",
}
_LOOP_FILTER = "_loop_budget"

_STR_METHODS = frozenset({
    "capitalize", "casefold", "center", "count", "endswith", "find", "index", "isalnum",
    "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric",
    "isprintable", "isspace", "istitle", "isupper", "ljust", "lower", "lstrip", "partition",
    "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition",
    "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title",
    "upper", "zfill",
})
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})
_MARKUP_METHODS = frozenset({"escape", "striptags", "unescape"})
_MAPPING_METHODS = frozenset({"get", "items", "keys", "values"})
_SEQUENCE_METHODS = frozenset({"count", "index"})
_DROPPED_FILTERS = frozenset({"pprint"})  # object reprs: nothing a reply needs


class TemplateError(InvalidInputError):
    """A template that cannot be rendered: bad syntax, something the sandbox refuses, or
    a limit reached. One line: "template NAME: line N: what is wrong"."""


class _Limit(Exception):
    """A bound of this module was reached; the message says which."""


class _Budget:
    """What one render may still spend."""

    __slots__ = ("deadline", "depth", "steps")

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_SECONDS
        self.steps = 0
        self.depth = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise _Limit(f"takes longer than {MAX_SECONDS:g} seconds to render")

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_LOOP_STEPS:
            raise _Limit(f"its loops run more than {MAX_LOOP_STEPS:,} times in all")
        self.tick()


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "template_budget", default=None
)


def _budget() -> _Budget:
    return _BUDGET.get() or _Budget()


def _text_size(n: int) -> None:
    if n > MAX_OUTPUT_CHARS:
        raise _Limit(f"would build a text longer than {MAX_OUTPUT_CHARS:,} characters")


def _item_count(n: int) -> None:
    if n > MAX_ITEMS:
        raise _Limit(f"would build a list of more than {MAX_ITEMS:,} items")


def _check_value(value: object) -> None:
    """What an operation returned stays within bounds (its inputs were checked first)."""
    if isinstance(value, str):
        _text_size(len(value))
    elif isinstance(value, (list, tuple)):
        _item_count(len(value))
    elif isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise _Limit("would build a number that is too large")


def _check_sizes(values: Iterable[object]) -> None:
    """Numbers given as widths, counts or lengths stay within the output bound."""
    for value in values:
        if isinstance(value, int) and abs(value) > MAX_OUTPUT_CHARS:
            raise _Limit(f"asks for a size over {MAX_OUTPUT_CHARS:,}")


def _check_replace(s: str, old: object, new: object, count: object = None) -> None:
    old_s, new_s = str(old), str(new)
    found = len(s) + 1 if not old_s else s.count(old_s)
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    _text_size(len(s) + found * max(0, len(new_s) - len(old_s)))


_PERCENT_WIDTH = re.compile(r"\d+")


def _check_percent(fmt: str, args: object) -> None:
    """`fmt % args` stays within bounds: widths and precisions written in the format, and
    the values put in, are counted before the text is made."""
    written = _PERCENT_WIDTH.findall(fmt)
    if any(len(w) > 6 for w in written):
        raise _Limit(f"asks for a size over {MAX_OUTPUT_CHARS:,}")
    values = args if isinstance(args, tuple) else (args,)
    _check_sizes(values)
    star = sum(abs(v) for v in values if isinstance(v, int))
    filled = sum(len(str(v)) for v in values)
    _text_size(len(fmt) + sum(int(w) for w in written) + star + filled)


def _check_binop(operator: str, left: object, right: object) -> None:
    if operator == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int):
                size = len(seq) * max(n, 0)
                _text_size(size) if isinstance(seq, str) else _item_count(size)
                return
        if (isinstance(left, int) and isinstance(right, int)
                and left.bit_length() + right.bit_length() > MAX_INT_BITS):
            raise _Limit("would build a number that is too large")
    elif operator == "**":
        if (isinstance(left, int) and isinstance(right, int) and right > 0
                and max(left.bit_length(), 1) * right > MAX_INT_BITS):
            raise _Limit("would build a number that is too large")
    elif operator == "+":
        if isinstance(left, str) and isinstance(right, str):
            _text_size(len(left) + len(right))
        elif isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
            _item_count(len(left) + len(right))
    elif operator == "%" and isinstance(left, str):
        _check_percent(left, right)


class _Buffer(list[Any]):
    """Where a macro, a `{% set %}` block or a `{% filter %}` block collects its output:
    refuses to grow past the output bound."""

    __slots__ = ("chars",)

    def __init__(self) -> None:
        super().__init__()
        self.chars = 0

    def append(self, item: Any) -> None:
        self._count((item,))
        super().append(item)

    def extend(self, items: Iterable[Any]) -> None:
        items = tuple(items)
        self._count(items)
        super().extend(items)

    def _count(self, items: Iterable[Any]) -> None:
        _budget().tick()
        self.chars += sum(len(i) if isinstance(i, str) else len(str(i)) for i in items)
        _text_size(self.chars)


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator with captured output and `~` measured as they grow."""

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.bounded_buffer()")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"environment.bounded_concat({join}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _refuse_private(obj: Any, name: object) -> None:
    """Underscored names are never data: refused even where the object has none, so
    `{{ x.__globals__ }}` fails as `{{ ''.__class__ }}` does instead of rendering empty."""
    if isinstance(name, str) and name.startswith("_"):
        raise SecurityError(f"access to {name!r} of a {type(obj).__name__} is unsafe")


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = _BoundedCodeGenerator

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if isinstance(obj, Markup):
            return attr in _STR_METHODS or attr in _MARKUP_METHODS
        if isinstance(obj, str):
            return attr in _STR_METHODS
        if isinstance(obj, Mapping):
            return attr in _MAPPING_METHODS
        if isinstance(obj, (list, tuple)):
            return attr in _SEQUENCE_METHODS
        return not isinstance(obj, (int, float, complex, bytes, bytearray, set, frozenset))

    def getattr(self, obj: Any, attribute: str) -> Any:
        _refuse_private(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _refuse_private(obj, argument)
        return super().getitem(obj, argument)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        # The default renders the attempt as an empty value; a template that tries is
        # refused instead, so its author learns at once.
        raise SecurityError(f"access to {attribute!r} of a {type(obj).__name__} is unsafe")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        return None  # str.format is not offered (is_safe_attribute), so it is never wrapped

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _budget().tick()
        _check_binop(operator, left, right)
        result = super().call_binop(context, operator, left, right)
        _check_value(result)
        return result

    def call(
        __self,  # the sandbox's own signature, so any keyword passes through
        __context: Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        budget = _budget()
        budget.tick()
        if isinstance(__obj, Macro):
            budget.depth += 1
            try:
                if budget.depth > MAX_DEPTH:
                    raise _Limit(f"its macros nest more than {MAX_DEPTH} deep")
                return super().call(__context, __obj, *args, **kwargs)
            finally:
                budget.depth -= 1
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str) and isinstance(__obj, types.BuiltinMethodType):
            if __obj.__name__ in _WIDTH_METHODS:
                _check_sizes((*args, *kwargs.values()))
            elif __obj.__name__ == "replace" and len(args) >= 2:
                _check_replace(owner, args[0], args[1], args[2] if len(args) > 2
                               else kwargs.get("count"))
        result = super().call(__context, __obj, *args, **kwargs)
        _check_value(result)
        return result

    def bounded_concat(self, join: Callable[[Iterable[Any]], str], parts: tuple[Any, ...]) -> str:
        """`a ~ b ~ ...`, measured before it is joined."""
        _budget().tick()
        texts = [p if isinstance(p, str) else str(p) for p in parts]
        _text_size(sum(len(t) for t in texts))
        result = join(parts)
        _text_size(len(result))  # escaping in HTML may have lengthened it
        return result

    def bounded_buffer(self) -> _Buffer:
        return _Buffer()


# Filters: each one's arguments and result are bounded; a few need their input measured.

def _pre_indent(s: Any, width: Any = 4, *_: Any, **__: Any) -> Any:
    text = str(s)
    pad = width if isinstance(width, int) else len(str(width))
    _text_size(len(text) + (text.count("\n") + 1) * max(pad, 0))
    return s


def _pre_format(value: Any, *args: Any, **kwargs: Any) -> Any:
    _check_percent(str(value), tuple(kwargs.values()) if kwargs else args)
    return value


def _pre_join(value: Any, d: Any = "", *_: Any, **__: Any) -> Any:
    items = list(value)
    _item_count(len(items))
    sep = len(str(d)) * max(len(items) - 1, 0)
    _text_size(sep + sum(len(i) if isinstance(i, str) else len(str(i)) for i in items))
    return items


def _pre_replace(s: Any, old: Any = "", new: Any = "", count: Any = None) -> Any:
    _check_replace(str(s), old, new, count)
    return s


def _pre_sum(iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    # Summing lists or texts copies them again at every step.
    if not isinstance(start, (int, float)):
        raise _Limit("sum adds numbers only")
    return iterable


_PRECHECKS: dict[str, Callable[..., Any]] = {
    "indent": _pre_indent,
    "format": _pre_format,
    "join": _pre_join,
    "replace": _pre_replace,
    "sum": _pre_sum,
}


def _bounded_filter(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    precheck = _PRECHECKS.get(name)
    # Filters marked pass_context (and the like) get that object first: skip it.
    skip = 0 if getattr(fn, "jinja_pass_arg", None) is None else 1

    @functools.wraps(fn)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _budget().tick()
        if len(args) > skip:
            _check_sizes((*args[skip + 1:], *kwargs.values()))
            if precheck is not None:
                value = precheck(*args[skip:], **kwargs)
                args = (*args[:skip], value, *args[skip + 1:])
        result = fn(*args, **kwargs)
        _check_value(result)
        return result

    return bounded


@pass_context
def _loop_budget(context: Context, iterable: Any) -> Iterator[Any]:
    """Wrapped around every `{% for %}`'s iterable (pass_context keeps Jinja from running
    it at compile time)."""
    budget = _budget()
    for item in iterable:
        budget.step()
        yield item


def _environment(*, html: bool) -> _Sandbox:
    env = _Sandbox(autoescape=html, undefined=ChainableUndefined, trim_blocks=True,
                   lstrip_blocks=True)
    env.globals.clear()
    env.globals["range"] = safe_range
    env.filters = {name: _bounded_filter(name, fn) for name, fn in FILTERS.items()
                   if name not in _DROPPED_FILTERS}
    env.filters[_LOOP_FILTER] = _loop_budget
    return env


_PLAIN = _environment(html=False)
_HTML = _environment(html=True)


def render(
    source: str, context: Mapping[str, object], *, html: bool = False, label: str = "template"
) -> str:
    """Render user-written Jinja2 in the sandbox. `html` turns autoescaping on: values
    from the context are escaped, the template's own markup is kept. `context` holds
    plain data only (see template_context). `label` starts every error message, e.g.
    "template welcome". Raises TemplateError: bad syntax, something the sandbox refuses,
    a limit reached."""
    data = _plain(dict(context))
    token = _BUDGET.set(_Budget())
    try:
        return _render(_normalise(source), data, html=html)
    except TemplateError as exc:
        raise TemplateError(f"{label}: {exc}") from None
    except TemplateSyntaxError as exc:
        raise _error(label, exc.lineno, exc.message or "bad syntax") from None
    except SecurityError:
        raise _error(label, _template_line(), UNREACHABLE) from None
    except _Limit as exc:
        raise _error(label, _template_line(), str(exc)) from None
    except UndefinedError as exc:
        raise _error(label, _template_line(), exc.message or "uses an undefined value") from None
    except RecursionError:
        raise _error(label, _template_line(), "is nested too deeply") from None
    except MemoryError:
        raise _error(label, None, "needs too much memory") from None
    except Exception as exc:
        raise _error(label, _template_line(), str(exc) or type(exc).__name__) from None
    finally:
        _BUDGET.reset(token)


def _render(source: str, context: dict[str, object], *, html: bool) -> str:
    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateError(f"is longer than {MAX_SOURCE_CHARS:,} characters; shorten it")
    bad = _CONTROL.search(source)
    if bad is not None:
        line = source.count("\n", 0, bad.start()) + 1
        raise TemplateError(f"line {line}: contains the control character "
                            f"U+{ord(bad.group()):04X}; remove it")
    env = _HTML if html else _PLAIN
    tree = env.parse(source, filename=_TEMPLATE_FILE)
    for kind, tag in _NOT_OFFERED.items():
        found = tree.find(kind)
        if found is not None:
            raise TemplateError(f"line {found.lineno}: {tag} is not available in templates")
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, _LOOP_FILTER, [], [], None, None,
                                 lineno=loop.lineno)
    tree.set_environment(env)
    template = env.from_string(tree)
    budget = _budget()
    out: list[str] = []
    size = 0
    stream = cast(Generator[str, None, None], template.generate(context))
    try:
        for chunk in stream:
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise TemplateError(f"its output is longer than {MAX_OUTPUT_CHARS:,} "
                                    "characters; shorten it")
            budget.tick()
            out.append(chunk)
    finally:
        stream.close()
    return "".join(out)


def _normalise(source: str) -> str:
    return source.replace("\r\n", "\n").replace("\r", "\n")


def _plain(value: Any) -> Any:
    """The context as plain data: dicts, lists, strings, numbers. Anything with methods
    of its own would widen what a template can reach, so it is a programming error."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    raise TypeError(f"a template context holds plain data only, not {type(value).__name__}")


def _template_line() -> int | None:
    """The template line the exception being handled was raised on: Jinja rewrites
    tracebacks so that template frames carry template line numbers."""
    tb = sys.exc_info()[2]
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _TEMPLATE_FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _error(label: str, line: int | None, what: str) -> TemplateError:
    text = " ".join(what.split())
    if len(text) > _MAX_MESSAGE:
        text = text[: _MAX_MESSAGE - 3] + "..."
    where = f"line {line}: " if line else ""
    return TemplateError(f"{label}: {where}{text}")


class Mailbox(Protocol):
    """What a template reads of an account (an Account, or an account's settings)."""

    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def display_name(self) -> str: ...


class Letter(Protocol):
    """What a template reads of a message (a summary, or a message rules look at)."""

    @property
    def subject(self) -> str: ...
    @property
    def from_name(self) -> str: ...
    @property
    def from_addr(self) -> str: ...
    @property
    def date(self) -> str: ...


def template_context(
    agent: Agent | None,
    account: Mailbox | None = None,
    customer: Customer | None = None,
    message: Letter | None = None,
) -> dict[str, object]:
    """What a template can use: `agent` (name, display_name, email), `account` (name,
    email, display_name), `customer` (name, company, addresses) and `message` (subject,
    from_name, from_addr, date), as plain strings; the last three are empty when there is
    none (the first too, for an automatic answer no agent writes). Every value is one
    sanitised line."""
    def line(value: str) -> str:
        return sanitize_line(value or "")

    return {
        "agent": {} if agent is None else {
            "name": line(agent.name), "display_name": line(agent.display_name),
            "email": line(agent.email)},
        "account": {} if account is None else {
            "name": line(account.name), "email": line(account.email),
            "display_name": line(account.display_name)},
        "customer": {} if customer is None else {
            "name": line(customer.name), "company": line(customer.company),
            "addresses": [line(a) for a in customer.addresses]},
        "message": {} if message is None else {
            "subject": line(message.subject), "from_name": line(message.from_name),
            "from_addr": line(message.from_addr), "date": line(message.date)},
    }
