"""Reads behind the pages. Figures come from the reports selectors (the rollups, scoped by
`report_run` exactly as the API is); rows from the owning apps' selectors.

Two reads have no selector in their app yet (the API view scopes them inline): conversions and
postback deliveries. They are here, with the same rules as tracking/api/conversions.py.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import user_role
from affiliates.selectors import publishers_visible_to
from core.money import money_round
from core.network_time import network_today, network_zone
from payouts.selectors import PublisherBalance, publisher_balances
from reports.query import ReportQuery
from reports.selectors import Report, report_run
from tracking.models import Conversion, PostbackDelivery

UTC = ZoneInfo("UTC")
CHART_DAYS = 30


def conversions_visible_to(*, user: User) -> QuerySet[Conversion]:
    role = user_role(user)
    conversions = Conversion.objects.select_related("offer", "goal", "publisher")
    if role in (Role.MANAGER, Role.FINANCE):
        return conversions
    if role == Role.ADVERTISER:
        return conversions.filter(advertiser_id=user.advertiser_id)
    if role == Role.PUBLISHER:
        return conversions.filter(publisher_id=user.publisher_id)
    return conversions.none()


def postback_deliveries_visible_to(*, user: User) -> QuerySet[PostbackDelivery]:
    role = user_role(user)
    deliveries = PostbackDelivery.objects.prefetch_related("log").order_by("-id")
    if role in (Role.MANAGER, Role.FINANCE):
        return deliveries
    if role == Role.PUBLISHER:
        return deliveries.filter(publisher_id=user.publisher_id)
    return deliveries.none()


def report_for(
    *,
    user: User,
    group_by: tuple[str, ...],
    metrics: tuple[str, ...],
    date_from: date,
    date_to: date,
    sort: tuple[tuple[str, bool], ...] = (),
    limit: int = 1000,
) -> Report:
    return report_run(
        user=user,
        query=ReportQuery(
            group_by=group_by,
            metrics=metrics,
            date_from=date_from,
            date_to=date_to,
            tz=network_zone(),
            sort=sort,
            limit=limit,
        ),
    )


@dataclass(frozen=True)
class PeriodFigures:
    """One period's totals in one currency (clicks are counted in their offer's currency)."""

    label: str
    currency: str
    clicks: int
    conversions: int
    payout: Decimal
    epc: Decimal | None


def dashboard_periods(*, user: User, today: date | None = None) -> list[PeriodFigures]:
    """Today, yesterday and this month (the network's days, NETWORK_TIME_ZONE), per currency; a
    period without traffic shows zeros in the publisher's payout currency rather than
    disappearing."""
    today = today or network_today(now=timezone.now())
    periods = [
        ("Today", today, today),
        ("Yesterday", today - timedelta(days=1), today - timedelta(days=1)),
        ("This month", today.replace(day=1), today),
    ]
    metrics = ("clicks", "conversions", "payout", "epc")
    default_currency = user.publisher.payout_currency if user.publisher_id else "USD"
    figures = []
    for label, first, last in periods:
        totals = report_for(
            user=user, group_by=(), metrics=metrics, date_from=first, date_to=last
        ).totals
        if not totals:
            totals = [
                {
                    "currency": default_currency,
                    "clicks": 0,
                    "conversions": 0,
                    "payout": money_round(Decimal(0), default_currency),
                }
            ]
        figures += [
            PeriodFigures(
                label=label,
                currency=row["currency"],
                clicks=row["clicks"],
                conversions=row["conversions"],
                payout=row["payout"],
                epc=row.get("epc"),
            )
            for row in totals
        ]
    return figures


def daily_chart(
    *, user: User, metrics: tuple[str, ...], days: int = CHART_DAYS, today: date | None = None
) -> dict[str, Any]:
    """Chart.js data for the network's last `days` days: one dataset per metric and currency,
    with a zero for each day without a row, so the x axis is continuous."""
    today = today or network_today(now=timezone.now())
    first = today - timedelta(days=days - 1)
    labels = [(first + timedelta(days=n)).isoformat() for n in range(days)]
    report = report_for(
        user=user, group_by=("day",), metrics=metrics, date_from=first, date_to=today
    )
    series: dict[tuple[str, str], dict[str, Any]] = {}
    for row in report.rows:
        for metric in metrics:
            values = series.setdefault((metric, row["currency"]), {})
            values[row["day"].isoformat()] = _plain(row[metric])
    currencies = sorted({currency for _, currency in series})
    datasets = []
    for metric in metrics:
        for currency in currencies or ["USD"]:
            values = series.get((metric, currency), {})
            name = metric if metric in ("clicks", "conversions") else f"{metric} ({currency})"
            if metric in ("clicks", "conversions") and len(currencies) > 1:
                name = f"{metric} ({currency})"
            datasets.append(
                {"label": name, "metric": metric, "data": [values.get(day, 0) for day in labels]}
            )
    return {"labels": labels, "datasets": datasets}


def top_rows(
    *, user: User, dimension: str, metric: str, days: int = CHART_DAYS, limit: int = 10
) -> list[dict[str, Any]]:
    today = timezone.now().date()
    report = report_for(
        user=user,
        group_by=(dimension,),
        metrics=("clicks", "conversions", "revenue", "payout", "profit"),
        date_from=today - timedelta(days=days - 1),
        date_to=today,
        sort=((metric, True),),
        limit=limit,
    )
    return report.rows


@dataclass(frozen=True)
class PublisherBalances:
    publisher_id: int
    name: str
    balances: list[PublisherBalance]


def balances_by_publisher(*, user: User, publisher_ids: list[int]) -> list[PublisherBalances]:
    """Balances of one page of publishers (the ledger is summed per publisher, never stored)."""
    publishers = publishers_visible_to(user=user).filter(id__in=publisher_ids).order_by("id")
    return [
        PublisherBalances(
            publisher_id=publisher.id,
            name=publisher.name,
            balances=publisher_balances(publisher_id=publisher.id),
        )
        for publisher in publishers
    ]


def _plain(value: Any) -> Any:
    # Chart.js wants numbers; money is a Decimal in the minor unit, exact as a float here.
    if isinstance(value, Decimal):
        return float(value)
    return value if value is not None else 0
