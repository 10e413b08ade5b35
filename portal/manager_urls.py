"""The manager desk's pages, under /network/ (names in the `portal` namespace)."""

from django.urls import path

from portal.views import (
    manager_access,
    manager_conversions,
    manager_offers,
    manager_partners,
    manager_revenue_cuts,
    manager_review,
)

urlpatterns = [
    path("offers/", manager_offers.offers, name="manager-offers"),
    path("offers/new/", manager_offers.offer_new, name="manager-offer-new"),
    path("offers/<int:offer_id>/", manager_offers.offer_edit, name="manager-offer"),
    path(
        "offers/<int:offer_id>/overrides/<int:override_id>/end/",
        manager_offers.override_end,
        name="manager-override-end",
    ),
    path("access-requests/", manager_access.access_requests, name="manager-access"),
    path(
        "access-requests/decide/",
        manager_access.access_requests_decide,
        name="manager-access-decide",
    ),
    path("conversions/", manager_conversions.conversions, name="manager-conversions"),
    path(
        "conversions/bulk/", manager_conversions.conversions_bulk, name="manager-conversions-bulk"
    ),
    path(
        "conversions/<int:conversion_id>/",
        manager_conversions.conversion_detail,
        name="manager-conversion",
    ),
    path("review-queue/", manager_review.review_queue_page, name="manager-review"),
    path("review-queue/decide/", manager_review.review_queue_decide, name="manager-review-decide"),
    # Advertisers' requests to lower what they pay on a live offer.
    path("revenue-cuts/", manager_revenue_cuts.revenue_cuts, name="manager-revenue-cuts"),
    path(
        "revenue-cuts/<int:request_id>/approve/",
        manager_revenue_cuts.revenue_cut_approve_post,
        name="manager-revenue-cut-approve",
    ),
    path(
        "revenue-cuts/<int:request_id>/reject/",
        manager_revenue_cuts.revenue_cut_reject_post,
        name="manager-revenue-cut-reject",
    ),
    path("publishers/", manager_partners.publishers, name="manager-publishers"),
    path(
        "publishers/<int:publisher_id>/",
        manager_partners.publisher_detail,
        name="manager-publisher",
    ),
    path("advertisers/", manager_partners.advertisers, name="manager-advertisers"),
    path(
        "advertisers/<int:advertiser_id>/",
        manager_partners.advertiser_detail,
        name="manager-advertiser",
    ),
    path("callbacks/", manager_partners.callback_inbox, name="manager-inbox"),
]
