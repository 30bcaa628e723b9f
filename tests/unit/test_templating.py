"""The template sandbox: values in, HTML escaping, what templates may not reach, the
bounds on time and size, and one-line errors with the line at fault."""

import time

import pytest

from engine.errors import InvalidInputError
from engine.models import Account, Agent, Customer, MessageSummary
from engine.templating import (
    MAX_OUTPUT_CHARS,
    MAX_SOURCE_CHARS,
    UNREACHABLE,
    TemplateError,
    render,
    template_context,
)

AGENT = Agent(id=1, name="ann", os_user="ann", display_name="Ann Agent",
              email="ann@acme.example", role="admin", active=True)
ACCOUNT = Account(id=3, name="support", display_name="Acme Support",
                  email="support@acme.example", kind="shared", owner_agent_id=None)
CUSTOMER = Customer(id=9, name="<script>alert(1)</script> & Co", company="Example Ltd",
                    notes="secret notes", addresses=("jane@example.org", "j@example.org"),
                    created_by=1, created_at="2026-01-01T00:00:00Z")
MESSAGE = MessageSummary(
    id=7, account_id=3, folder_id=4, thread_id=None, subject="Late \x1b[31minvoice",
    from_name="Jane", from_addr="jane@example.org", date="2026-02-03T10:00:00Z",
    seen=False, flagged=False, answered=False, has_attachments=False, snippet="snippet",
    customer_id=9, parse_error=None,
)
FULL = template_context(AGENT, ACCOUNT, CUSTOMER, MESSAGE)


def fails(source: str, *needles: str, html: bool = False) -> str:
    """Render `source` expecting a one-line TemplateError holding every needle."""
    with pytest.raises(TemplateError) as info:
        render(source, FULL, html=html, label="template t")
    message = str(info.value)
    assert "\n" not in message and message.startswith("template t: ")
    assert isinstance(info.value, InvalidInputError)
    for needle in needles:
        assert needle in message, message
    return message


def test_values_are_plain_strings_from_the_records() -> None:
    assert FULL == {
        "agent": {"name": "ann", "display_name": "Ann Agent", "email": "ann@acme.example"},
        "account": {"name": "support", "email": "support@acme.example",
                    "display_name": "Acme Support"},
        "customer": {"name": "<script>alert(1)</script> & Co", "company": "Example Ltd",
                     "addresses": ["jane@example.org", "j@example.org"]},
        # Sanitised: a template never carries a control sequence into a reply.
        "message": {"subject": "Late invoice", "from_name": "Jane",
                    "from_addr": "jane@example.org", "date": "2026-02-03T10:00:00Z"},
    }
    empty = template_context(AGENT)
    assert empty["account"] == empty["customer"] == empty["message"] == {}


def test_rendering_with_variables() -> None:
    source = ("Dear {{ customer.name }} ({{ customer.company }}),\n"
              "about \"{{ message.subject }}\"{% if customer.addresses %} to "
              "{{ customer.addresses|join(', ') }}{% endif %}.\n"
              "{{ agent.display_name }}, {{ account.display_name }} <{{ account.email }}>\n")
    assert render(source, FULL) == (
        "Dear <script>alert(1)</script> & Co (Example Ltd),\n"
        "about \"Late invoice\" to jane@example.org, j@example.org.\n"
        "Ann Agent, Acme Support <support@acme.example>"
    )


def test_html_escapes_values_and_keeps_the_templates_markup() -> None:
    out = render("<p>Dear <b>{{ customer.name }}</b></p>", FULL, html=True)
    assert out == "<p>Dear <b>&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</b></p>"
    # Values stay escaped through `~`, filters and captured blocks.
    out = render("{% set x %}{{ customer.name }}{% endset %}{{ x ~ customer.name|upper }}",
                 FULL, html=True)
    assert "<script>" not in out.lower() and out.count("&lt;") == 4


def test_plain_text_is_not_escaped() -> None:
    assert render("{{ customer.name }}", FULL) == "<script>alert(1)</script> & Co"


def test_missing_values_render_empty_even_nested() -> None:
    empty = template_context(AGENT)
    source = "[{{ customer.name }}|{{ message.subject.title }}|{{ nothing.at.all }}]"
    assert render(source, empty) == "[||]"
    assert render("{{ customer.name|default('there') }}", empty) == "there"
    assert render("{% for a in customer.addresses %}x{% endfor %}done", empty) == "done"


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",  # not even offered: and reaching through fails
    "{{ customer.name.__class__ }}",
    "{{ customer|attr('__class__') }}",
    "{{ customer.items.__self__ }}",
    "{{ range.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ '{0.__class__}'.format(customer) }}",
    "{{ customer.pop('name') }}",
    "{{ customer.addresses.append('x') }}",
    "{{ (1).__class__.__base__.__subclasses__() }}",
    "{% for c in ''.__class__.__mro__ %}{{ c }}{% endfor %}",
])
def test_python_internals_are_out_of_reach(source: str) -> None:
    fails(source, f"line 1: {UNREACHABLE}")


def test_globals_beyond_range_are_not_offered() -> None:
    # Undefined names render empty; calling one is an error, never a way in.
    assert render("{{ lipsum }}{{ cycler }}{{ joiner }}{{ namespace }}{{ dict }}", FULL) == ""
    fails("\n{{ lipsum(100000) }}", "line 2:", "'lipsum' is undefined")


@pytest.mark.parametrize("tag", ["{% include 'x' %}", "{% import 'x' as y %}",
                                 "{% extends 'x' %}", "{% block b %}{% endblock %}"])
def test_nothing_is_loaded_from_elsewhere(tag: str) -> None:
    fails(f"hello\n{tag}", "line 2:", "is not available in templates")


def test_a_huge_loop_is_bounded_and_fast() -> None:
    started = time.monotonic()
    fails("one\n{% for i in range(10**9) %}x{% endfor %}", "line 2:", "Range too big")
    fails("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
          "loops run more than")
    fails("{% for i in range(100000) %}{{ customer.name }}{% endfor %}",
          f"longer than {MAX_OUTPUT_CHARS:,} characters")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("source", [
    "{{ 'a' * 10**9 }}",
    "{{ 'x'|center(10**9) }}",
    "{{ 'x'.ljust(10**9) }}",
    "{{ '%999999999d' % 1 }}",
    "{{ '%999999999d'|format(1) }}",
    "{% set s = 'ab' * 40000 %}{{ s|replace('a', s) }}",
    "{% set s = 'ab' * 40000 %}{{ s.replace('a', s) }}",
    "{% set s = 'ab' * 40000 %}{{ range(100)|join(s) }}",
    "{% set s = 'ab' * 40000 %}{{ s|indent(100000) }}",
    # Doubling with `~`, `+` and macros grows past any bound in a few dozen steps.
    "{% set a = 'x' * 99999 %}{% set b = a ~ a %}",
    "{% set a = 'x' * 99999 %}{% set b = a + a %}",
    "{% macro f(s, n) %}{{ f(s ~ s, n - 1) if n else s }}{% endmacro %}{{ f('a', 60) }}",
    "{% macro m() %}{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}{% endmacro %}"
    "{% set x = m() %}",
])
def test_text_cannot_grow_past_the_bound(source: str) -> None:
    started = time.monotonic()
    message = fails(source)
    assert "size over" in message or f"longer than {MAX_OUTPUT_CHARS:,}" in message
    assert time.monotonic() - started < 2


def test_numbers_and_lists_are_bounded_too() -> None:
    fails("{{ 2 ** (10**9) }}", "number that is too large")
    fails("{{ [1] * 10**9 }}", "list of more than")
    fails("{{ range(10)|batch(1)|sum(start=[]) }}", "sum adds numbers only")
    fails("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "nest more than")


def test_syntax_errors_give_the_line() -> None:
    fails("Dear {{ customer.name }},\n\nthanks {{ message.subject }\n", "line 3:")
    fails("a\n{% if customer %}\nb", "line 3:", "endif")
    fails("{{ customer.name|nosuchfilter }}", "line 1:", "nosuchfilter")


def test_runtime_errors_give_the_line() -> None:
    fails("fine\nfine\n{{ 1 / 0 }}", "line 3: division by zero")
    fails("ok\n{% macro m() %}\n{{ 'a' + 1 }}\n{% endmacro %}{{ m() }}", "line 3:")


def test_source_size_and_control_characters() -> None:
    fails("x" * (MAX_SOURCE_CHARS + 1), f"longer than {MAX_SOURCE_CHARS:,} characters")
    fails("ok\nred \x1b[31m text", "line 2: contains the control character U+001B")
    fails("spoof \u202e text", "U+202E")
    # Line ends of every kind are text.
    assert render("a\r\nb\rc\td", {}) == "a\nb\nc\td"


def test_only_plain_data_enters_the_sandbox() -> None:
    with pytest.raises(TypeError):
        render("{{ x }}", {"x": AGENT})
