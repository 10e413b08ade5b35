"""Locking a two-person request that must still be pending (core/decisions.py), for the
services that confirm or reject one."""

from typing import TypeVar

from core.decisions import TwoPersonRequest
from core.errors import DomainError, NotFoundError

R = TypeVar("R", bound=TwoPersonRequest)


def pending_locked(model: type[R], request_id: int, *, label: str) -> R:
    """The request, locked FOR UPDATE; 404 if there is none, 409 `not_pending` once decided.

    `label` names it in the refusal ("adjustment request").
    """
    request = model._default_manager.select_for_update().filter(id=request_id).first()
    if request is None:
        raise NotFoundError("not_found", f"No {label} {request_id}.")
    if request.state != "pending":
        raise DomainError(
            "not_pending",
            f"{label[:1].upper()}{label[1:]} {request.id} is {request.state}, not pending.",
            status_code=409,
        )
    return request
