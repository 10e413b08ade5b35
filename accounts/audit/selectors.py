"""Who reads which audit entries, and in what shape.

- Managers (and superusers) read every entry.
- Finance reads the money entries: terms, publisher overrides, publishers' payout settings and
  details, users and roles, ledger adjustments, batches, and the four-eyes requests.
- An advertiser user reads its own advertiser's entries (the advertiser row, its offers, goals,
  terms, caps) without any field whose name contains "payout", and not at all the entries that
  are about payouts only (publisher overrides, payout-metric caps, payout-only changes).
- A publisher user reads the changes of its own publisher's payout settings and details, and of
  its payout-details requests: where its money goes, and who changed it.
"""

from datetime import datetime
from typing import Any

from auditlog.models import LogEntry
from django.db.models import Q, QuerySet

from accounts.audit.registry import audited_labels
from accounts.models import Role
from accounts.selectors import user_role

ACTIONS = {
    "create": LogEntry.Action.CREATE,
    "update": LogEntry.Action.UPDATE,
    "delete": LogEntry.Action.DELETE,
}
ACTION_NAMES = {value: name for name, value in ACTIONS.items()}


def _models_q(labels: list[str]) -> Q:
    q = Q(pk__in=[])
    for label in labels:
        app_label, model = label.split(".")
        q |= Q(content_type__app_label=app_label, content_type__model=model)
    return q


def audit_entries_visible_to(
    *,
    user: Any,
    model: str | None = None,
    object_id: str | None = None,
    actor_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[LogEntry]:
    """The entries `user` may read, newest first, narrowed by the optional filters."""
    role = user_role(user)
    entries = LogEntry.objects.select_related("content_type", "actor").order_by("-timestamp", "-id")
    if role == Role.MANAGER:
        pass
    elif role == Role.FINANCE:
        entries = entries.filter(_models_q(audited_labels(money=True)))
    elif role == Role.ADVERTISER:
        entries = entries.filter(
            _models_q(audited_labels(reader="advertiser")),
            additional_data__advertiser_id=user.advertiser_id,
            additional_data__advertiser_visible=True,
        )
    elif role == Role.PUBLISHER:
        entries = entries.filter(
            _models_q(audited_labels(reader="publisher")),
            additional_data__publisher_id=user.publisher_id,
        )
    else:
        return entries.none()
    if model is not None:
        entries = entries.filter(_models_q([model]))
    if object_id is not None:
        entries = entries.filter(object_pk=object_id)
    if actor_id is not None:
        entries = entries.filter(actor_id=actor_id)
    if action is not None:
        entries = entries.filter(action=ACTIONS[action])
    if since is not None:
        entries = entries.filter(timestamp__gte=since)
    if until is not None:
        entries = entries.filter(timestamp__lt=until)
    return entries


def _same_organisation(reader: Any, actor: Any) -> bool:
    if reader.advertiser_id is not None:
        return actor.advertiser_id == reader.advertiser_id
    return reader.publisher_id is not None and actor.publisher_id == reader.publisher_id


def audit_entry_for(*, user: Any, entry: LogEntry) -> dict[str, Any]:
    """One entry as `user` may see it: partners get no payout fields, addresses or staff names."""
    staff = user_role(user) in {Role.MANAGER, Role.FINANCE}
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    if user_role(user) == Role.ADVERTISER:
        changes = {name: value for name, value in changes.items() if "payout" not in name}
    actor = None
    if entry.actor is not None:
        actor = {"id": None, "username": None, "role": user_role(entry.actor)}
        if staff or _same_organisation(user, entry.actor):
            actor.update(id=entry.actor.pk, username=entry.actor.get_username())
    content_type = entry.content_type
    return {
        "id": entry.pk,
        "timestamp": entry.timestamp,
        "action": ACTION_NAMES.get(entry.action, "access"),
        "model": f"{content_type.app_label}.{content_type.model}",
        "object_id": entry.object_pk,
        "object_repr": entry.object_repr,
        "actor": actor,
        "remote_addr": entry.remote_addr if staff else None,
        "changes": changes,
    }
