"""Refused requests in the audit log.

Every Service method that takes the acting agent and ends in AccessDeniedError, or in
NotFoundError (what the agent may not see looks missing, so a probe of another's mail
ends there), leaves one "access.refused" row: who, which method, the one-line error and
the target when the arguments name it. `audits_refusals` applies this to a class in one
place, so a method added later is covered without anyone remembering to.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from engine.errors import AccessDeniedError, GoneError, NotFoundError
from storage import Store, audit

if TYPE_CHECKING:
    from engine.models import Agent

log = logging.getLogger(__name__)

ACTION = "access.refused"
MARK = "__audits_refusals__"
MAX_ERROR = 500

# Argument name -> the audit log's target_kind for it.
TARGETS = {
    "message_id": "message",
    "folder_id": "folder",
    "customer_id": "customer",
    "draft_id": "outgoing",
    "lead_id": "lead",
    "entry_id": "deny_list",
}
# Arguments that name a target without an id, kept in the row's detail.
NAMED = {"ref": "case", "name": "name", "account": "account"}

# Set while a Service method runs: a method calling another is one request, audited once.
_inside: ContextVar[bool] = ContextVar("frontdesk_service_call", default=False)

C = TypeVar("C", bound=type)


class _HasStore(Protocol):
    store: Store


def audits_refusals(cls: C) -> C:
    """Wrap every public coroutine method of `cls` whose first argument after self is
    `agent`, so its refusals are audited (see record_refusal)."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_") or not inspect.iscoroutinefunction(member):
            continue
        if not _takes_agent(member):
            continue
        setattr(cls, name, _audited(member))
    return cls


def _takes_agent(method: Callable[..., Any]) -> bool:
    """Whether the parameter after self is `agent`. Read from the code object: a
    signature for each of a hundred methods would be a noticeable part of every start."""
    code = method.__code__
    return code.co_argcount >= 2 and code.co_varnames[1] == "agent"


def audited(method: Callable[..., Any]) -> bool:
    """Whether a method's refusals are audited."""
    return bool(getattr(method, MARK, False))


def _audited(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def wrapper(self: _HasStore, agent: Agent, *args: Any, **kwargs: Any) -> Any:
        if _inside.get():
            return await method(self, agent, *args, **kwargs)
        token = _inside.set(True)
        try:
            return await method(self, agent, *args, **kwargs)
        except (AccessDeniedError, NotFoundError) as exc:
            # Gone: a message another agent moved a moment ago, not a refusal.
            if not isinstance(exc, GoneError):
                signature = inspect.signature(method)
                bound = signature.bind_partial(self, agent, *args, **kwargs).arguments
                await record_refusal(self.store, agent, method.__name__, bound, exc)
            raise
        finally:
            _inside.reset(token)

    setattr(wrapper, MARK, True)
    return wrapper


async def record_refusal(
    store: Store, agent: Agent, method: str, arguments: dict[str, Any], error: Exception
) -> None:
    """Write the refusal's audit row. Never raises: a failed write is logged, and the
    caller's refusal goes on as it was."""
    kind, target = "", None
    detail: dict[str, Any] = {"method": method, "error": str(error)[:MAX_ERROR]}
    for argument, target_kind in TARGETS.items():
        value = arguments.get(argument)
        if isinstance(value, int) and not isinstance(value, bool):
            kind, target = target_kind, value
            break
    for argument, key in NAMED.items():
        value = arguments.get(argument)
        if isinstance(value, str):
            detail[key] = value[:200]
    if not kind and "ref" in arguments:
        kind = "case"
    try:
        async with store.transaction() as db:
            await audit.record(db, agent_id=agent.id, action=ACTION, target_kind=kind,
                               target_id=target, detail=detail)
    except Exception:  # the refusal matters more than its record
        log.exception("could not audit a refused %s", method)
