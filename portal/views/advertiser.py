"""The advertiser's pages: its offers, their conversions (with why each was decided so), the
manual approve/reject of pending ones, and postback set-up with its secret and an HMAC example.
Advertiser users only; rows come from selectors scoped to `request.user.advertiser_id`.

The decide form appears only where the money policy lets the advertiser act (its own
conversions held for its approval; rejecting with a reason), and the service asks the policy
again on submit. Explanations are shown without what would reveal publishers' payouts."""

import csv
from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.policy import Action, policy_allows
from core.csv_cells import csv_cell
from core.errors import DomainError
from offers.secret_box import secret_decrypt
from offers.selectors import advertisers_visible_to, offers_visible_to
from offers.services import advertiser_postback_secret_rotate
from portal.form_errors import form_errors_add
from portal.forms import ConversionActionForm
from portal.roles import ADVERTISER, role_required
from portal.selectors import conversions_visible_to
from tracking.attribution.actions import conversion_act, conversion_policy_facts
from tracking.callbacks.auth import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    TOKEN_HEADER,
    canonical_request,
    signature_compute,
    signature_v2_compute,
)
from tracking.explanations import explanation_for_advertiser
from tracking.models import Conversion

PAGE_SIZE = 50
# A fixed example request, so the page can show the exact signature it must produce.
EXAMPLE_TIMESTAMP = "1700000000"
EXAMPLE_PARAMS = [
    ("click_id", "01JA0000000000000000000000"),
    ("goal", "sale"),
    ("amount", "49.90"),
    ("txn_id", "order-1001"),
]


@role_required(ADVERTISER)
def offers(request: HttpRequest) -> HttpResponse:
    rows = offers_visible_to(user=request.user).prefetch_related("goals").order_by("name")
    return render(request, "portal/advertiser/offers.html", {"offers": rows})


CSV_COLUMNS = (
    ("id", "Conversion"),
    ("created_at", "Time (UTC)"),
    ("status", "Status"),
    ("reject_reason", "Reason"),
    ("offer__name", "Offer"),
    ("goal__name", "Goal"),
    ("advertiser_txn_id", "Transaction id"),
    ("click_id", "Click id"),
    ("currency", "Currency"),
    ("sale_amount", "Sale amount"),
    ("revenue", "Revenue"),
)


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@role_required(ADVERTISER)
def conversions(request: HttpRequest) -> HttpResponse:
    """Filters: status, offer, txn or click id (`q`), UTC days `since` and `until` (both
    included); `?format=csv` downloads the filtered list (revenue only, never payouts)."""
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()[:128]
    offer = request.GET.get("offer", "")
    since, until = _day(request.GET.get("since", "")), _day(request.GET.get("until", ""))
    rows = conversions_visible_to(user=request.user).select_related("offer", "goal").order_by("-id")
    if status in Conversion.Status.values:
        rows = rows.filter(status=status)
    if q:
        rows = rows.filter(Q(advertiser_txn_id=q) | Q(click_id=q))
    if offer.isdigit():
        rows = rows.filter(offer_id=int(offer))
    if since:
        rows = rows.filter(created_at__date__gte=since)
    if until:
        rows = rows.filter(created_at__date__lte=until)
    if request.GET.get("format") == "csv":
        return _csv(rows)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode([(k, v) for k, v in request.GET.items() if k not in ("page", "format")])
    return render(
        request,
        "portal/advertiser/conversions.html",
        {
            "page": page,
            "status": status,
            "statuses": Conversion.Status.choices,
            "q": q,
            "offer": offer,
            "offers": offers_visible_to(user=request.user).order_by("name"),
            "since": since,
            "until": until,
            "query": query,
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv(rows) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow([title for _, title in CSV_COLUMNS])
        for row in rows.values_list(*(key for key, _ in CSV_COLUMNS)).iterator():
            yield writer.writerow([csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="conversions.csv"'
    return response


@role_required(ADVERTISER)
def conversion_detail(request: HttpRequest, conversion_id: int) -> HttpResponse:
    conversion = conversions_visible_to(user=request.user).filter(id=conversion_id).first()
    if conversion is None:
        raise Http404("No such conversion.")
    facts = conversion_policy_facts(conversion=conversion, reason="(asked on submit)")
    may_approve = policy_allows(action=Action.CONVERSION_APPROVE, user=request.user, facts=facts)
    form = ConversionActionForm(request.POST or None)
    if not may_approve:  # a network hold: the advertiser may still reject it, with a reason
        form.fields["action"].choices = [("reject", "Reject")]
    if request.method == "POST" and form.is_valid():
        try:
            conversion_act(
                conversion_id=conversion.pk,
                action=form.cleaned_data["action"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            form_errors_add(form=form, error=exc)
        else:
            done = {"approve": "approved", "reject": "rejected"}[form.cleaned_data["action"]]
            messages.success(request, f"Conversion {conversion.pk} {done}.")
            return redirect("portal:advertiser-conversion", conversion_id=conversion.pk)
    may_decide = conversion.status == Conversion.Status.PENDING and (
        may_approve
        or policy_allows(action=Action.CONVERSION_REJECT, user=request.user, facts=facts)
    )
    return render(
        request,
        "portal/advertiser/conversion_detail.html",
        {
            "conversion": conversion,
            "explanation": explanation_for_advertiser(conversion.explanation),
            "history": conversion.history.order_by("id"),
            "form": form,
            "may_decide": may_decide,
        },
    )


def _setup_context(request: HttpRequest, secret: str | None = None) -> dict:
    advertiser = advertisers_visible_to(user=request.user).get()
    canonical = canonical_request(method="GET", path="/postback", params=EXAMPLE_PARAMS)
    # An HMAC of a public example, to check the advertiser's code: it does not reveal the secret.
    signature, prefix = "", "v2="
    if advertiser.postback_secret_encrypted:
        signature = signature_v2_compute(
            secret=secret_decrypt(advertiser.postback_secret_encrypted),
            timestamp=EXAMPLE_TIMESTAMP,
            canonical=canonical,
        )
    elif advertiser.postback_secret_hash:  # a legacy secret: only signature v1 can be checked
        signature, prefix = (
            signature_compute(
                key_hex=advertiser.postback_secret_hash,
                timestamp=EXAMPLE_TIMESTAMP,
                canonical=canonical,
            ),
            "sha256=",
        )
    query = "&".join(f"{key}={value}" for key, value in EXAMPLE_PARAMS)
    return {
        "advertiser": advertiser,
        "secret": secret,
        "base_url": settings.TRACKING_BASE_URL,
        "example_query": query,
        "example_timestamp": EXAMPLE_TIMESTAMP,
        "example_canonical": canonical,
        "example_signature": signature,
        "example_signature_prefix": prefix,
        "signature_v1_until": settings.CALLBACK_SIGNATURE_V1_UNTIL,
        "token_header": TOKEN_HEADER,
        "signature_header": SIGNATURE_HEADER,
        "timestamp_header": TIMESTAMP_HEADER,
    }


@role_required(ADVERTISER)
def postback_setup(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/advertiser/postback_setup.html", _setup_context(request))


@role_required(ADVERTISER)
@require_POST
def postback_secret_rotate(request: HttpRequest) -> HttpResponse:
    """The new secret is in this one response and nowhere else (not the session, not a log):
    we keep its hash only. The old secret stops working at once."""
    advertiser = advertisers_visible_to(user=request.user).get()
    secret = advertiser_postback_secret_rotate(advertiser=advertiser)
    response = render(
        request, "portal/advertiser/postback_setup.html", _setup_context(request, secret)
    )
    response["Cache-Control"] = "no-store"
    return response
