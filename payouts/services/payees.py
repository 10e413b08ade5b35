"""Payee checks: tax forms, uploaded by a publisher (or by finance for it) and reviewed by finance.

The document goes through Django's storage API (default storage, MEDIA_ROOT; never served by
URL). Review is four-eyes: the uploader never accepts or rejects its own upload (accounts.policy
TAX_FORM_REVIEW; the database checks it too). Where TAX_FORM_REQUIRED is on, batches pay only
publishers with an accepted form valid today (payouts.services.build); payout details must in
every case have been confirmed by a second person (affiliates.payout_details).

A form's expiry (`valid_until`, its last valid day) is set once, by the reviewer when accepting:
the date the reviewer gives, or by default from its kind (a W-8BEN or W-8BEN-E stays in effect
until the last day of the third calendar year after the year it was signed; a W-9, a VAT
registration or another document does not expire unless the reviewer says so). Nobody changes
it afterwards: a renewed form is a new upload. TAX_FORM_EXPIRY_NOTICE_DAYS before that day
the publisher's users are told once (tax_form_expiry_notices_send, daily on the beat), unless a
form valid beyond it is already accepted.
"""

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Notification, User
from accounts.notifications import notify, recipients
from accounts.policy import Action, policy_require
from affiliates.models import Publisher
from core.errors import DomainError, ForbiddenError, NotFoundError
from core.network_time import network_today
from payouts.models import TaxForm

# What a scanned or signed form comes as.
TAX_FORM_CONTENT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
_MAGIC = {b"%PDF": "application/pdf", b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def _content_type(document: UploadedFile) -> str:
    """The type the bytes say, not the one the client claims."""
    head = document.read(8)
    document.seek(0)
    for magic, content_type in _MAGIC.items():
        if head.startswith(magic):
            return content_type
    raise DomainError.for_field("document", "invalid_type", "A PDF, PNG or JPEG file.")


def tax_form_upload(
    *, publisher_id: int, kind: str, signed_on: date, document: UploadedFile, uploaded_by: User
) -> TaxForm:
    """Store a publisher's tax form, pending finance's review."""
    policy_require(
        action=Action.TAX_FORM_UPLOAD, user=uploaded_by, facts={"publisher_id": publisher_id}
    )
    if not Publisher.objects.filter(id=publisher_id).exists():
        raise NotFoundError("not_found", f"No publisher {publisher_id}.")
    if kind not in TaxForm.Kind.values:
        raise DomainError.for_field("kind", "invalid", f"One of: {', '.join(TaxForm.Kind.values)}.")
    if signed_on > timezone.now().date():
        raise DomainError.for_field("signed_on", "in_future", "The form's date is in the future.")
    if document.size is None or document.size > settings.TAX_FORM_MAX_BYTES:
        raise DomainError.for_field(
            "document", "too_large", f"At most {settings.TAX_FORM_MAX_BYTES} bytes."
        )
    content_type = _content_type(document)
    form = TaxForm(
        publisher_id=publisher_id,
        kind=kind,
        signed_on=signed_on,
        file_name=(document.name or "tax-form")[-200:],
        content_type=content_type,
        size=document.size,
        uploaded_by=uploaded_by,
    )
    # The file is written by the storage before the row; a failed insert leaves an orphan file
    # rather than a row without its file.
    form.document.save(document.name or "tax-form", document, save=False)
    form.save()
    return form


# Kinds that expire by rule: the end of the third calendar year after signing (IRS).
_EXPIRES_AFTER_YEARS: dict[str, int] = {TaxForm.Kind.W8BEN: 3, TaxForm.Kind.W8BEN_E: 3}


def tax_form_default_valid_until(*, kind: str, signed_on: date) -> date | None:
    """The last day a form of `kind` signed on `signed_on` counts, by rule; None: no expiry."""
    years = _EXPIRES_AFTER_YEARS.get(kind)
    return None if years is None else date(signed_on.year + years, 12, 31)


_DEFAULT: Any = object()


def tax_form_review(
    *,
    form_id: int,
    accept: bool,
    note: str,
    reviewed_by: User,
    valid_until: Any = _DEFAULT,  # a date, None (no expiry) or left out (by kind)
) -> TaxForm:
    """Accept or reject a pending form (a rejection says why). Never by its uploader. On accept,
    `valid_until` is the form's last valid day (None: no expiry); left out, it follows the
    form's kind (tax_form_default_valid_until)."""
    with transaction.atomic():
        form = TaxForm.objects.select_for_update().filter(id=form_id).first()
        if form is None:
            raise NotFoundError("not_found", f"No tax form {form_id}.")
        policy_require(
            action=Action.TAX_FORM_REVIEW,
            user=reviewed_by,
            facts={"uploaded_by_id": form.uploaded_by_id},
        )
        if form.status != TaxForm.Status.PENDING:
            raise DomainError(
                "not_pending",
                f"Tax form {form.id} is {form.status}, not pending.",
                status_code=409,
            )
        if not accept and not note.strip():
            raise DomainError.for_field("note", "reason_required", "Say why it is rejected.")
        if not accept and valid_until is not _DEFAULT:
            raise DomainError.for_field(
                "valid_until", "not_accepted", "Only an accepted form has an expiry."
            )
        if accept:
            if valid_until is _DEFAULT:
                valid_until = tax_form_default_valid_until(kind=form.kind, signed_on=form.signed_on)
            elif valid_until is not None and valid_until < timezone.now().date():
                raise DomainError.for_field(
                    "valid_until", "in_past", "An expired form is not accepted: ask for a new one."
                )
            elif valid_until is not None and valid_until < form.signed_on:
                raise DomainError.for_field(
                    "valid_until", "before_signing", "The form expires after it is signed."
                )
            form.valid_until = valid_until
        form.status = TaxForm.Status.ACCEPTED if accept else TaxForm.Status.REJECTED
        form.reviewed_by = reviewed_by
        form.reviewed_at = timezone.now()
        form.review_note = note.strip()
        try:
            with transaction.atomic():
                form.save(
                    update_fields=[
                        "status",
                        "reviewed_by",
                        "reviewed_at",
                        "review_note",
                        "valid_until",
                    ]
                )
        except IntegrityError:  # the database's own four-eyes check
            raise ForbiddenError("forbidden", "A form is reviewed by someone else.") from None
    return form


EXPIRY_NOTICE = "tax_form_expiring"


def tax_form_expiry_notices_send(*, today: date | None = None) -> int:
    """Tell each publisher whose accepted forms all end within TAX_FORM_EXPIRY_NOTICE_DAYS (the
    network's calendar) to upload a renewal: once per form (a notice names the form's URL, so a
    repeat run finds it and stays quiet), and not when another accepted form of the publisher
    lasts longer. 0 turns the notice off. Returns the forms notified."""
    days = settings.TAX_FORM_EXPIRY_NOTICE_DAYS
    if not days:
        return 0
    today = today or network_today(now=timezone.now())
    ending = TaxForm.objects.filter(
        status=TaxForm.Status.ACCEPTED,
        valid_until__gte=today,
        valid_until__lte=today + timedelta(days=days),
    ).order_by("publisher_id", "-valid_until", "-id")
    sent = 0
    seen: set[int] = set()
    for form in ending:
        if form.publisher_id in seen:
            continue  # the publisher's latest-ending form speaks for it
        seen.add(form.publisher_id)
        assert form.valid_until is not None  # filtered above
        renewed = (
            TaxForm.objects.filter(publisher_id=form.publisher_id, status=TaxForm.Status.ACCEPTED)
            .exclude(pk=form.pk)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=form.valid_until))
            .exists()
        )
        url = f"/api/v1/tax-forms/{form.pk}/"
        if renewed or Notification.objects.filter(kind=EXPIRY_NOTICE, url=url).exists():
            continue
        with transaction.atomic():
            rows = notify(
                users=recipients(publisher_id=form.publisher_id),
                kind=EXPIRY_NOTICE,
                text=f"Your {form.get_kind_display()} tax form (#{form.pk}) is valid until "
                f"{form.valid_until:%Y-%m-%d}: upload a renewed form before then"
                + (", or payouts wait for it." if settings.TAX_FORM_REQUIRED else "."),
                url=url,
            )
        sent += bool(rows)
    return sent
