"""Personal data: a partner user's export, its request for deletion, and the deletion.

Accounts sits below the apps that hold a partner's other personal data (the publisher's name
and payout details and API keys in affiliates, the advertiser's name in offers), so those apps
register a section of the export and a part of the erasure here (their AppConfig.ready); the
export and the erasure call every registered part.

Erasure keeps the books: ledger entries, conversions, batches and invoices keep their amounts
and rows; only names, e-mails and payout details become a placeholder, and the user is
deactivated with no usable password.
"""

from collections.abc import Callable
from typing import Any

from auditlog.models import LogEntry
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import PersonalDataRequest, Role, User
from accounts.policy import Action, policy_require
from core.errors import DomainError, ForbiddenError, NotFoundError

ERASED = "erased"

Exporter = Callable[[User], dict[str, Any]]
Eraser = Callable[[User], None]
_EXPORTERS: list[Exporter] = []
_ERASERS: list[Eraser] = []


def personal_data_register(*, export: Exporter, erase: Eraser) -> None:
    """Add an app's section of the export and its part of the erasure (from AppConfig.ready)."""
    if export not in _EXPORTERS:
        _EXPORTERS.append(export)
    if erase not in _ERASERS:
        _ERASERS.append(erase)


def personal_data_mask(value: Any) -> str:
    """An account number, e-mail or IBAN shown by its last four characters only."""
    text = str(value)
    return "*" * max(len(text) - 4, 4) + text[-4:] if len(text) > 4 else "****"


def _subject(*, user: User, subject_id: int | None) -> User:
    """Whose data `user` may read: its own; finance and managers any partner user's."""
    if subject_id is None or subject_id == user.pk:
        return user
    if not (user.is_manager or user.is_finance):
        raise ForbiddenError("forbidden", "You may only export your own personal data.")
    subject = User.objects.filter(pk=subject_id).first()
    if subject is None:
        raise NotFoundError("not_found", "No such user.")
    return subject


def personal_data_export(*, user: User, subject_id: int | None = None) -> dict[str, Any]:
    """The personal data the network keeps of one user, as JSON-ready values."""
    subject = _subject(user=user, subject_id=subject_id)
    data: dict[str, Any] = {
        "user": {
            "id": subject.pk,
            "username": subject.username,
            "email": subject.email,
            "first_name": subject.first_name,
            "last_name": subject.last_name,
            "role": subject.role,
            "date_joined": subject.date_joined.isoformat(),
            "last_login": subject.last_login.isoformat() if subject.last_login else None,
            "is_active": subject.is_active,
        },
        "audit_entries": [
            {
                "at": entry.timestamp.isoformat(),
                "action": LogEntry.Action(entry.action).label,
                "model": f"{entry.content_type.app_label}.{entry.content_type.model}",
                "object_id": entry.object_pk,
                "object": entry.object_repr,
            }
            for entry in LogEntry.objects.filter(actor=subject)
            .select_related("content_type")
            .order_by("timestamp")
        ],
    }
    for export in _EXPORTERS:
        data.update(export(subject))
    return data


def personal_data_erasure_request(*, user: User) -> PersonalDataRequest:
    """A partner user asks for the deletion of its own personal data."""
    policy_require(action=Action.PERSONAL_DATA_ERASURE_REQUEST, user=user)
    try:
        with transaction.atomic():
            return PersonalDataRequest.objects.create(user=user)
    except IntegrityError as exc:
        raise DomainError("duplicate", "Your request for deletion is already waiting.") from exc


def personal_data_requests_visible_to(*, user: User) -> QuerySet[PersonalDataRequest]:
    rows = PersonalDataRequest.objects.select_related("user", "done_by")
    if user.is_manager or user.is_finance:
        return rows
    return rows.filter(user=user)


def personal_data_erase(*, user: User, request_id: int) -> PersonalDataRequest:
    """Carry out a request (finance or managers; accounts.policy: personal_data.erase)."""
    with transaction.atomic():
        request = (
            personal_data_requests_visible_to(user=user)
            .select_for_update(of=("self",))
            .filter(pk=request_id)
            .first()
        )
        if request is None:
            raise NotFoundError("not_found", "No such request.")
        subject = request.user
        policy_require(
            action=Action.PERSONAL_DATA_ERASE,
            user=user,
            facts={"target": subject, "target_role": subject.role},
        )
        if request.state != PersonalDataRequest.State.PENDING:
            raise DomainError("already_done", "This request was carried out already.")
        for erase in _ERASERS:
            erase(subject)
        subject.username = f"{ERASED}-{subject.pk}"
        subject.email = f"{ERASED}-{subject.pk}@{ERASED}.invalid"
        subject.first_name = ERASED
        subject.last_name = ERASED
        subject.is_active = False
        subject.set_unusable_password()
        subject.save()
        request.state = PersonalDataRequest.State.DONE
        request.done_by = user
        request.done_at = timezone.now()
        request.save(update_fields=["state", "done_by", "done_at"])
    return request


def personal_data_other_active_users(*, subject: User) -> bool:
    """Whether the subject's organisation keeps another active user (then its name stays)."""
    organisation = (
        {"publisher_id": subject.publisher_id}
        if subject.role == Role.PUBLISHER
        else {"advertiser_id": subject.advertiser_id}
    )
    return User.objects.filter(is_active=True, **organisation).exclude(pk=subject.pk).exists()
