"""An authenticated impression source for CPM: counts reported server to server.

Impression pixels carry no credential, so by default CPM is priced from the pixels counted,
after caps (tracking/traffic_booking.py). A manager may set an offer (or one publisher on it)
to `reported` (ImpressionSource): the daily booking then prices that CPM from the counts
reported here, capped the same way; pixels are still counted for the reports and shown beside
the reported count in the ledger entry's reason.

Who is trusted (accounts.policy: impressions.report): the offer's own advertiser (its API key,
e.g. from its ad server), and managers (entering a third-party ad server's count). Never the
publisher: it is paid by the count, so its own ad server's figure could be inflated at will; nor
finance. The advertiser has the opposite interest (it pays by the count): the pixels counted
beside it show a gap, and the source is a manager's decision per offer or publisher.

A report is (report_id, offer, publisher, network day, creative or none, count):

- the same report_id with the same figures again is a repeat and changes nothing (200); the
  same report_id with other figures is refused (409 report_id_reused);
- a new report for the same line (offer, publisher, day, creative) replaces its count: before
  the day is booked simply (the earlier report becomes `replaced`); after it, as a correction:
  the publisher's paid impressions are recounted under the same caps, and the difference in
  payout is booked at once as its own ledger entry (key `cpm_fix:<report>`), the difference
  in revenue added to the reports; the day's booked entry is never rewritten.
"""

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from accounts.policy import Action, policy_require
from accounts.selectors import user_role
from affiliates.models import Publisher
from core.errors import DomainError
from core.network_time import network_today
from offers.creatives import Creative
from offers.models import Offer
from offers.selectors import offer_is_runnable_by, offer_visible_to, offers_visible_to
from tracking.models import ImpressionReport, ImpressionSource
from tracking.traffic_booking import traffic_day_cpm_correct, traffic_day_is_booked, traffic_lock

SOURCE_OF_PAYMENT = ImpressionSource.Source


def impression_sources_visible_to(*, user: User) -> QuerySet[ImpressionSource]:
    role = user_role(user)
    rows = ImpressionSource.objects.all()
    if role in (Role.MANAGER, Role.FINANCE):
        return rows
    if role == Role.ADVERTISER:
        return rows.filter(offer__advertiser_id=user.advertiser_id)
    if role == Role.PUBLISHER and user.publisher_id:
        visible = offers_visible_to(user=user).values("id")
        return rows.filter(
            Q(publisher_id=user.publisher_id) | Q(publisher__isnull=True), offer_id__in=visible
        )
    return rows.none()


def impression_reports_visible_to(*, user: User) -> QuerySet[ImpressionReport]:
    """Staff all; an advertiser its offers'; a publisher the counts reported for it."""
    role = user_role(user)
    rows = ImpressionReport.objects.all()
    if role in (Role.MANAGER, Role.FINANCE):
        return rows
    if role == Role.ADVERTISER:
        return rows.filter(offer__advertiser_id=user.advertiser_id)
    if role == Role.PUBLISHER and user.publisher_id:
        return rows.filter(publisher_id=user.publisher_id)
    return rows.none()


def _offer(*, user: User, offer_id: int) -> Offer:
    """The body's offer, if the user may see it; else 400 (the same answer for a missing one)."""
    offer = offer_visible_to(user=user, offer_id=offer_id)
    if offer is None:
        raise DomainError.for_field("offer", "does_not_exist", f"No offer {offer_id}.")
    return offer


def impression_source_set(
    *, user: User, offer_id: int, publisher_id: int | None, source: str
) -> tuple[ImpressionSource, bool]:
    """Set where an offer's (or one publisher's) CPM is counted from; managers only. Applies to
    days not booked yet. Returns (row, created)."""
    offer = _offer(user=user, offer_id=offer_id)
    policy_require(
        action=Action.IMPRESSION_SOURCE_SET,
        user=user,
        facts={"advertiser_id": offer.advertiser_id},
    )
    if publisher_id is not None and not Publisher.objects.filter(pk=publisher_id).exists():
        raise DomainError.for_field(
            "publisher", "unknown_publisher", f"No publisher {publisher_id}."
        )
    with transaction.atomic():
        row, created = ImpressionSource.objects.select_for_update().get_or_create(
            offer_id=offer.pk,
            publisher_id=publisher_id,
            defaults={"source": source, "set_by": user},
        )
        if not created:
            row.source = source
            row.set_by = user
            row.save(update_fields=["source", "set_by", "updated_at"])
    return row, created


def impression_source_of(*, offer_id: int, publisher_id: int) -> str:
    """`pixel` or `reported`: the publisher's own row, else the offer's, else pixel."""
    rows: dict[int | None, str] = dict(
        ImpressionSource.objects.filter(offer_id=offer_id)
        .filter(Q(publisher_id=publisher_id) | Q(publisher__isnull=True))
        .values_list("publisher_id", "source")
    )
    return rows.get(publisher_id) or rows.get(None) or SOURCE_OF_PAYMENT.PIXEL


@dataclass(frozen=True)
class Received:
    report: ImpressionReport
    repeat: bool


def _same(report: ImpressionReport, *, publisher_id, day, creative_id, count) -> bool:
    return (report.publisher_id, report.day, report.creative_id, report.count) == (
        publisher_id,
        day,
        creative_id,
        count,
    )


def impressions_report(
    *,
    user: User,
    report_id: str,
    offer_id: int,
    publisher_id: int,
    day: date,
    count: int,
    creative_id: int | None = None,
) -> Received:
    """Receive one reported count (see the module's docstring). Raises DomainError (400, 403,
    409); nothing is written then."""
    offer = _offer(user=user, offer_id=offer_id)
    policy_require(
        action=Action.IMPRESSIONS_REPORT, user=user, facts={"advertiser_id": offer.advertiser_id}
    )
    existing = ImpressionReport.objects.filter(offer_id=offer.pk, report_id=report_id).first()
    if existing is not None:
        return _repeat(
            existing, publisher_id=publisher_id, day=day, creative_id=creative_id, count=count
        )
    _check(offer=offer, publisher_id=publisher_id, day=day, creative_id=creative_id)
    try:
        with transaction.atomic():
            traffic_lock(day)
            report = _receive(
                user=user,
                report_id=report_id,
                offer=offer,
                publisher_id=publisher_id,
                day=day,
                count=count,
                creative_id=creative_id,
            )
    except IntegrityError:
        # The same report_id arrived twice at once: the first one's row decides.
        existing = ImpressionReport.objects.filter(offer_id=offer.pk, report_id=report_id).first()
        if existing is None:
            raise
        return _repeat(
            existing, publisher_id=publisher_id, day=day, creative_id=creative_id, count=count
        )
    return Received(report=report, repeat=False)


def _repeat(existing: ImpressionReport, **figures) -> Received:
    if not _same(existing, **figures):
        raise DomainError(
            "report_id_reused",
            f"Report {existing.report_id} was received with other figures (publisher "
            f"{existing.publisher_id}, day {existing.day}, creative {existing.creative_id}, "
            f"count {existing.count}); a correction is a new report_id.",
            status_code=409,
        )
    return Received(report=existing, repeat=True)


def _check(*, offer: Offer, publisher_id: int, day: date, creative_id: int | None) -> None:
    if not Publisher.objects.filter(pk=publisher_id).exists() or not offer_is_runnable_by(
        publisher_id=publisher_id, offer_id=offer.pk
    ):
        raise DomainError.for_field(
            "publisher",
            "publisher_not_on_offer",
            f"Publisher {publisher_id} may not run offer {offer.pk}.",
        )
    if day > network_today(now=timezone.now()):
        raise DomainError.for_field(
            "day", "day_in_future", f"{day} has not begun in the network's time zone."
        )
    if (
        creative_id is not None
        and not Creative.objects.filter(pk=creative_id, offer_id=offer.pk).exists()
    ):
        raise DomainError.for_field(
            "creative", "unknown_creative", f"Offer {offer.pk} has no creative {creative_id}."
        )
    if impression_source_of(offer_id=offer.pk, publisher_id=publisher_id) != "reported":
        raise DomainError(
            "source_is_pixel",
            f"Offer {offer.pk}'s CPM for publisher {publisher_id} is counted from pixels; a "
            "manager sets impression_source to reported first.",
            status_code=409,
        )


def _receive(
    *,
    user: User,
    report_id: str,
    offer: Offer,
    publisher_id: int,
    day: date,
    count: int,
    creative_id: int | None,
) -> ImpressionReport:
    booked = traffic_day_is_booked(day)
    line = ImpressionReport.objects.filter(
        offer_id=offer.pk, publisher_id=publisher_id, day=day, creative_id=creative_id
    )
    line.filter(is_current=True, status=ImpressionReport.Status.PENDING).update(
        is_current=False, status=ImpressionReport.Status.REPLACED
    )
    line.filter(is_current=True).update(is_current=False)
    report = ImpressionReport.objects.create(
        offer_id=offer.pk,
        publisher_id=publisher_id,
        day=day,
        creative_id=creative_id,
        report_id=report_id,
        count=count,
        reported_by=user,
        reporter_role=user_role(user) or "",
        status=(ImpressionReport.Status.CORRECTION if booked else ImpressionReport.Status.PENDING),
    )
    if booked:
        traffic_day_cpm_correct(
            report=report,
            reported=impression_reported_count(
                offer_id=offer.pk, publisher_id=publisher_id, day=day
            ),
        )
    return report


def impression_reported_count(*, offer_id: int, publisher_id: int, day: date) -> int:
    """The publisher's reported impressions of the day: the sum of its current lines."""
    counts = ImpressionReport.objects.filter(
        offer_id=offer_id, publisher_id=publisher_id, day=day, is_current=True
    ).values_list("count", flat=True)
    return sum(counts)
