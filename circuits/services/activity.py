"""The user-activity row each circuit service writes when it succeeds (one INSERT, no read).

A service wrapped in ``records_circuit_activity`` records one row for the acting user after
it returns; a wrapped service called by another wrapped one (rejecting an operation rejects
its pending item) adds no second row."""

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from accounts.services.user_activity import (
    ActivityType,
    Category,
    ResourceType,
    user_activity_record,
)

__all__ = ["ActivityType", "records_circuit_activity"]

P = ParamSpec("P")
R = TypeVar("R")

_recording: ContextVar[bool] = ContextVar("circuit_activity_recording", default=False)
# Keyword arguments naming what the service acts on; the circuit is read off the first found.
_SUBJECTS = ("circuit", "operation", "pending_item", "join_request")
# Keyword arguments worth keeping in the row's metadata.
_DETAILS = ("dfid", "dfids", "local_id", "reason")


def _circuit_id(kwargs: dict[str, Any], result: Any) -> str:
    for name in _SUBJECTS:
        subject = kwargs.get(name)
        if subject is not None:
            return str(subject.pk if name == "circuit" else subject.circuit_id)
    return str(getattr(result, "pk", ""))


def records_circuit_activity(
    activity_type: str, action: str, *, actor: str
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Record ``activity_type``/``action`` on the circuit for the user passed as ``actor``."""

    def decorate(service: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(service)
        def recorded(*args: P.args, **kwargs: P.kwargs) -> R:
            if _recording.get():
                return service(*args, **kwargs)
            token = _recording.set(True)
            try:
                result = service(*args, **kwargs)
            finally:
                _recording.reset(token)
            circuit_id = _circuit_id(kwargs, result)
            details = {name: kwargs[name] for name in _DETAILS if kwargs.get(name)}
            user_activity_record(
                user=kwargs[actor],
                activity_type=activity_type,
                category=Category.CIRCUITS,
                resource_type=ResourceType.CIRCUIT,
                resource_id=circuit_id,
                action=action,
                description=f"{action.replace('_', ' ').capitalize()} in circuit {circuit_id}",
                metadata=details or None,
            )
            return result

        return recorded

    return decorate
