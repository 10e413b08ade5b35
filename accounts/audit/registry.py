"""What the audit log records: the registered models, their scope, and the fields left out.

Each audited model names a scope function that returns the ids an entry is filed under
(advertiser, offer, publisher, user) and whether it is payout-only (an advertiser never sees
it). The scope is computed when the entry is written, from the row as it was, so an entry stays
readable by the right people after its row, or its offer, is deleted.

Secrets never enter the log: any field whose name looks like a secret (hash, password, token,
encrypted...) is excluded from every audited model, whatever app adds it later. A visible
`*_prefix` stays, so a rotation shows as a changed prefix.

Models are named by label, not imported: this module sits in `accounts`, below the catalogue and
payouts, and is only called from `AccountsConfig.ready`, when every app's models are loaded.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from auditlog.signals import pre_log
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.db import models
from django.db.models.signals import pre_save

from accounts.audit.middleware import audit_actor_fill

Scope = dict[str, Any]

SECRET_FIELD = re.compile(r"secret|hash|password|token|encrypt|cipher|private|(^|_)key($|_)")
# Bookkeeping that changes on every save or sign-in and says nothing about who changed what.
NOISE_FIELDS = frozenset({"updated_at", "last_login", "last_used_at"})


@dataclass(frozen=True)
class Audited:
    label: str  # "app_label.ModelName"
    scope: Callable[[Any], Scope]
    money: bool  # finance reads it
    publisher_reads: bool = False  # the row's own publisher reads it
    advertiser_reads: bool = False  # the row's own advertiser reads it, payout fields stripped
    updates_only: bool = False  # rows created in bulk by a service; their later changes matter
    m2m_fields: tuple[str, ...] = ()
    optional: bool = False  # registered once the model exists (confirmation models being added)


def _get(model_label: str, **lookup: Any) -> dict[str, Any] | None:
    """A row's values, or None when it is gone (a cascade deletes children before parents)."""
    model = apps.get_model(model_label)
    return model.objects.filter(**lookup).values().first()


def _offer_scope(offer_id: int | None) -> Scope:
    row = _get("offers.Offer", pk=offer_id) if offer_id is not None else None
    return {"offer_id": offer_id, "advertiser_id": row["advertiser_id"] if row else None}


def _goal_scope(goal_id: int | None) -> Scope:
    row = _get("offers.Goal", pk=goal_id) if goal_id is not None else None
    return _offer_scope(row["offer_id"] if row else None)


def _advertiser(row: Any) -> Scope:
    return {"advertiser_id": row.pk}


def _offer(row: Any) -> Scope:
    return {"offer_id": row.pk, "advertiser_id": row.advertiser_id}


def _goal(row: Any) -> Scope:
    return _offer_scope(row.offer_id)


def _terms(row: Any) -> Scope:
    return _goal_scope(row.goal_id)


def _override(row: Any) -> Scope:
    return {**_offer_scope(row.offer_id), "publisher_id": row.publisher_id, "payout_only": True}


def _cap(row: Any) -> Scope:
    # A payout-metric cap tells its limit in payout money: advertisers never see one, nor a cap
    # that was one before this change (read before the save: the log is written in pre_save).
    old = _get("offers.Cap", pk=row.pk) if row.pk is not None else None
    payout = "payout" in {row.metric, old["metric"] if old else None}
    return {**_offer_scope(row.offer_id), "publisher_id": row.publisher_id, "payout_only": payout}


def _offer_owned(row: Any) -> Scope:
    return _offer_scope(row.offer_id)


def _creative_test_arm(row: Any) -> Scope:
    test = _get("offers.CreativeTest", pk=row.test_id)
    return _offer_scope(test["offer_id"] if test else None)


def _publisher(row: Any) -> Scope:
    return {"publisher_id": row.pk}


def _publisher_owned(row: Any) -> Scope:
    return {"publisher_id": row.publisher_id}


def _offer_access(row: Any) -> Scope:
    return {"publisher_id": row.publisher_id, "offer_id": row.offer_id}


def _user(row: Any) -> Scope:
    return {"user_id": row.pk}


def _user_owned(row: Any) -> Scope:
    return {"user_id": row.user_id}


def _unscoped(row: Any) -> Scope:
    return {}


def _staff_change(row: Any) -> Scope:
    return {"user_id": row.target_id}


def _line_owned(row: Any) -> Scope:
    return {"line_id": row.line_id}


AUDITED: tuple[Audited, ...] = (
    Audited("offers.Advertiser", _advertiser, money=False, advertiser_reads=True),
    Audited("offers.Offer", _offer, money=False, advertiser_reads=True),
    Audited("offers.Goal", _goal, money=False, advertiser_reads=True),
    Audited("offers.Terms", _terms, money=True, advertiser_reads=True),
    Audited("offers.PublisherOverride", _override, money=True),
    Audited("offers.Cap", _cap, money=False, advertiser_reads=True),
    Audited("affiliates.Publisher", _publisher, money=True, publisher_reads=True),
    Audited("affiliates.OfferAccess", _offer_access, money=False),
    Audited("affiliates.ApiKey", _user_owned, money=False),
    Audited("affiliates.PostbackTemplate", _publisher_owned, money=False),
    Audited("accounts.User", _user, money=True, m2m_fields=("groups", "user_permissions")),
    # Who invited whom, to which organisation (the token's hash is a secret field: left out).
    Audited("accounts.Invitation", _unscoped, money=False),
    # Manual adjustments only (see _ledger_entry_is_manual); earnings are the conversions'.
    Audited("payouts.LedgerEntry", _publisher_owned, money=True),
    Audited("payouts.PayoutBatch", _unscoped, money=True),
    Audited("payouts.PayoutBatchLine", _publisher_owned, money=True, updates_only=True),
    # Four-eyes requests and their confirmations.
    Audited("accounts.StaffChange", _staff_change, money=True, optional=True),
    Audited(
        "affiliates.PayoutDetailsChange",
        _publisher_owned,
        money=True,
        publisher_reads=True,
        optional=True,
    ),
    Audited("payouts.AdjustmentRequest", _publisher_owned, money=True, optional=True),
    Audited("payouts.LineFailureRequest", _line_owned, money=True, optional=True),
    # The catalogue's newer settings: compliance terms versions, landing variants and tests,
    # targeting (who changed where and when an offer's traffic goes).
    Audited("offers.OfferTerms", _offer_owned, money=False, advertiser_reads=True),
    Audited("offers.LandingVariant", _offer_owned, money=False, advertiser_reads=True),
    Audited("offers.LandingTest", _offer_owned, money=False, advertiser_reads=True),
    Audited("offers.OfferTargeting", _offer_owned, money=False, advertiser_reads=True),
    # Creatives: who wrote and who approved what publishers put on their pages.
    Audited("offers.Creative", _offer_owned, money=False, advertiser_reads=True),
    # Creative A/B tests: who started one, with which weights, and who ended it for which winner.
    Audited("offers.CreativeTest", _offer_owned, money=False, advertiser_reads=True),
    Audited("offers.CreativeTestArm", _creative_test_arm, money=False, advertiser_reads=True),
    # Which count prices an offer's CPM (pixels or reported): who switched it, when.
    Audited("tracking.ImpressionSource", _offer_owned, money=True, advertiser_reads=True),
    # An advertiser's request to lower what it pays on a live offer, and the manager's decision.
    Audited("offers.RevenueCutRequest", _offer_owned, money=True, advertiser_reads=True),
    Audited("affiliates.TrafficSource", _publisher_owned, money=False, publisher_reads=True),
    # The books: a month's validation and close, and the payee checks' tax forms.
    Audited("payouts.AccountingPeriod", _unscoped, money=True),
    Audited("payouts.TaxForm", _publisher_owned, money=True, publisher_reads=True),
    # Who asked for a user's data to be erased, and who carried it out.
    Audited("accounts.PersonalDataRequest", _user_owned, money=False),
)

# Models of the audited apps that are deliberately not in the log, and why. A model in none of
# the two lists fails tests/accounts/test_audit_log.py, so a new one gets a decision.
NOT_AUDITED: dict[str, str] = {
    "payouts.PayoutLineEntry": "which entries a batch line settles; written with the line",
    "accounts.Notification": "a message to one user about a change already logged at its source",
    "accounts.NotificationPreference": "a user's own choice of e-mails; grants and moves nothing",
    "offers.OfferHold": "recomputed by the billing beat from invoices, payments and limits",
    "affiliates.TermsAcceptance": "itself the record of who accepted which terms, when; immutable",
    "payouts.FxRate": "loaded from a published source by fx_rates_load; each entry keeps its rate",
}
AUDITED_APPS = ("accounts", "offers", "affiliates", "payouts")


def audit_excluded_fields(model: type[models.Model]) -> list[str]:
    names = [field.name for field in model._meta.concrete_fields]
    return [
        name
        for name in names
        if name in NOISE_FIELDS or (SECRET_FIELD.search(name) and not name.endswith("_prefix"))
    ]


def audited_labels(*, money: bool | None = None, reader: str | None = None) -> list[str]:
    """Labels (`app_label.modelname`, lower case) of audited models, narrowed by a predicate."""
    specs = [spec for spec in AUDITED if money is None or spec.money == money]
    if reader == "advertiser":
        specs = [spec for spec in specs if spec.advertiser_reads]
    elif reader == "publisher":
        specs = [spec for spec in specs if spec.publisher_reads]
    return [spec.label.lower() for spec in specs]


def _updates_only(sender, instance, action, **kwargs) -> bool | None:
    # Batch lines are written with their batch (the batch's entry says who built it); what
    # matters later is a line changing, e.g. marked failed, which pays it again.
    return None if action == LogEntry.Action.UPDATE else False


def _ledger_entry_is_manual(sender, instance, **kwargs) -> bool | None:
    # Returning False tells auditlog not to log; None lets it. Earnings, reversals and payments
    # are written by attribution and batches, each already naming its source row.
    if instance.kind == "adjustment" and instance.conversion_id is None:
        return None
    return False


def audit_register() -> None:
    """Register every audited model with django-auditlog (AccountsConfig.ready calls it)."""
    for spec in AUDITED:
        try:
            model = apps.get_model(spec.label)
        except LookupError:
            if spec.optional:
                continue
            raise
        if model in auditlog._registry:
            continue
        if "get_additional_data" in vars(model):
            raise ImproperlyConfigured(f"{spec.label} defines get_additional_data itself")
        # auditlog files an entry's additional_data from this method at write time.
        model.get_additional_data = _scope_method(spec.scope)
        auditlog.register(
            model,
            exclude_fields=audit_excluded_fields(model),
            m2m_fields=set(spec.m2m_fields),
        )
    log_entry = apps.get_model("auditlog.LogEntry")
    # Connected once, before any request's own auditlog receiver: ours run first.
    pre_save.connect(audit_actor_fill, sender=log_entry, dispatch_uid="audit_actor_fill")
    pre_save.connect(audit_entry_file, sender=log_entry, dispatch_uid="audit_entry_file")
    for spec in AUDITED:
        if spec.updates_only:
            pre_log.connect(
                _updates_only,
                sender=apps.get_model(spec.label),
                dispatch_uid=f"audit_updates_only:{spec.label}",
            )
    pre_log.connect(
        _ledger_entry_is_manual,
        sender=apps.get_model("payouts.LedgerEntry"),
        dispatch_uid="audit_ledger_manual_only",
    )


def _scope_method(scope: Callable[[Any], Scope]) -> Callable[[Any], Scope]:
    def get_additional_data(self: Any) -> Scope:
        try:
            return scope(self)
        except ObjectDoesNotExist:
            return {}

    return get_additional_data


def _is_payout_field(name: str) -> bool:
    return "payout" in name


def audit_entry_file(sender, instance, **kwargs) -> None:
    """pre_save of LogEntry: decide, with the changes at hand, whether an advertiser reads it.

    An entry whose only changes are payout fields would tell an advertiser that (and when) a
    payout changed, even with those fields stripped: it is not theirs to read at all.
    """
    data = instance.additional_data
    if not isinstance(data, dict):
        return
    label = f"{instance.content_type.app_label}.{instance.content_type.model}"
    changes = instance.changes if isinstance(instance.changes, dict) else {}
    data["advertiser_visible"] = bool(
        label in audited_labels(reader="advertiser")
        and data.get("advertiser_id") is not None
        and not data.get("payout_only")
        and any(not _is_payout_field(name) for name in changes)
    )
