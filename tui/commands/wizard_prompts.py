"""Questions on the terminal for `frontdesk account add`'s step-by-step setup: every
prompt and remark goes to stderr, every answer is one line of stdin (a person at a
terminal, or a script's lines). A bad answer is asked again with the one-line reason, a
few times at most; the end of stdin where an answer is needed is a one-line error naming
the flag that gives it.

Lines are read by a daemon thread, so Ctrl-C (which cancels the command) never waits
for a line that will not come; a password at a terminal is read without echo.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TextIO, TypeVar

from engine.errors import InvalidInputError
from engine.setup.plan import parse_yes_no

T = TypeVar("T")
TRIES = 3


class NoAnswer(InvalidInputError):
    """Standard input ended where an answer was needed."""


class Prompter:
    """Asks on `out` (stderr), reads `stdin`. With `assume_yes`, the callers take the
    default of every question that has one instead of asking."""

    def __init__(self, *, assume_yes: bool = False, stdin: TextIO | None = None,
                 out: TextIO | None = None, tries: int = TRIES) -> None:
        self.assume_yes = assume_yes
        self.stdin = stdin or sys.stdin
        self.out = out or sys.stderr
        self.tries = tries

    @property
    def at_terminal(self) -> bool:
        try:
            return self.stdin.isatty()
        except ValueError:  # closed
            return False

    def say(self, text: str = "") -> None:
        """A remark or a result, on its own line."""
        print(text, file=self.out, flush=True)

    async def ask(self, question: str, parse: Callable[[str], T], *, default: str = "",
                  shown: str | None = None, flag: str) -> T:
        """Ask until `parse` accepts the answer (an empty answer is `default`, shown as
        `shown` when given); parse raises InvalidInputError with the reason, which is
        shown before asking again."""
        shown = default if shown is None else shown
        shown = f" [{shown}]" if shown else ""
        for _ in range(self.tries):
            text = await self._line(f"{question}{shown}: ", question, flag)
            try:
                return parse(text.strip() or default)
            except InvalidInputError as exc:
                self.say(f"  {exc}")
        raise InvalidInputError(f"{question.lower()}: no usable answer after {self.tries} "
                                f"tries; give {flag}")

    async def confirm(self, question: str, *, default: bool, flag: str) -> bool:
        """A yes/no question; the empty answer is `default`."""
        choices = "Y/n" if default else "y/N"
        return await self.ask(f"{question} ({choices})",
                              lambda text: parse_yes_no(text, default=default), flag=flag)

    async def secret(self, prompt: str, check: Callable[[str], str], *, flag: str) -> str:
        """A password: without echo at a terminal, else the next line of stdin (kept as
        typed, spaces included). Never shown, never logged."""
        for _ in range(self.tries):
            if self.at_terminal:
                with _interruptible():
                    text = getpass.getpass(prompt, stream=self.out)
            else:
                text = await self._line(prompt, prompt.rstrip(": "), flag)
            try:
                return check(text)
            except InvalidInputError as exc:
                self.say(f"  {exc}")
        raise InvalidInputError(f"no usable password after {self.tries} tries; give {flag}")

    async def block(self, prompt: str) -> str:
        """Several lines, up to an empty line or the end of stdin."""
        self.out.write(prompt + "\n")
        self.out.flush()
        lines: list[str] = []
        while True:
            line = await _in_daemon_thread(self.stdin.readline)
            if not line or not line.rstrip("\r\n"):
                return "\n".join(lines)
            lines.append(line.rstrip("\r\n"))

    async def _line(self, prompt: str, question: str, flag: str) -> str:
        self.out.write(prompt if self.at_terminal else prompt + "\n")
        self.out.flush()
        line = await _in_daemon_thread(self.stdin.readline)
        if not line:
            raise NoAnswer(f"no answer to {question!r}: standard input ended; give {flag}, "
                           "or run the command at a terminal")
        return line.rstrip("\r\n")


async def _in_daemon_thread(call: Callable[[], T]) -> T:
    """`call()` in a thread of its own that the interpreter does not wait for at exit:
    a read given up on (Ctrl-C) cannot hold the command open."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def run() -> None:
        try:
            result = call()
        except BaseException as exc:  # handed to the waiting coroutine
            error = exc
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                loop.call_soon_threadsafe(settle, lambda: future.set_exception(error))
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, lambda: future.set_result(result))

    threading.Thread(target=run, name="wizard-input", daemon=True).start()
    return await future


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt at once inside a blocking terminal read (getpass
    restores the echo on its way out), instead of waiting for the line."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
