"""The people's pages, at the site root (after the API, admin and tracking paths)."""

from django.urls import include, path

from portal import (
    account_urls,
    api_key_urls,
    creative_urls,
    explain_urls,
    manager_urls,
    notification_urls,
    personal_data_urls,
    sandbox_urls,
    tax_form_urls,
    validation_urls,
)
from portal.views import (
    advertiser,
    advertiser_desk,
    advertiser_invoices,
    advertiser_offers,
    audit,
    books,
    finance,
    network,
    publisher,
    reports,
)
from portal.views import billing as billing_pages

app_name = "portal"

urlpatterns = [
    path("", network.landing, name="landing"),
    # Sign-in, sign-up, invitations, two-factor, password reset; managers' sign-ups.
    *account_urls.urlpatterns,
    path("reports/", reports.reports, name="reports"),
    *validation_urls.urlpatterns,
    *notification_urls.urlpatterns,
    *personal_data_urls.urlpatterns,
    # API keys: each user's own; managers read partners' prefixes.
    *api_key_urls.urlpatterns,
    path("audit/", audit.audit_log, name="audit-log"),
    # Explain this payout: conversions, ledger entries, batch lines (every role its side).
    *explain_urls.urlpatterns,
    # The sandbox: test links, each test click's trace, a test conversion (publishers,
    # advertisers and managers, each its side).
    *sandbox_urls.urlpatterns,
    # Creatives and smart links (publishers, advertisers, the managers' approval queue).
    *creative_urls.urlpatterns,
    # Publisher portal.
    path("publisher/", publisher.dashboard, name="publisher-dashboard"),
    path("publisher/offers/", publisher.offers, name="publisher-offers"),
    path("publisher/offers/<int:offer_id>/", publisher.offer_detail, name="publisher-offer"),
    path(
        "publisher/offers/<int:offer_id>/request/",
        publisher.offer_request,
        name="publisher-offer-request",
    ),
    path("publisher/postbacks/", publisher.postbacks, name="publisher-postbacks"),
    path("publisher/postbacks/new/", publisher.postback_edit, name="publisher-postback-new"),
    path(
        "publisher/postbacks/<int:template_id>/",
        publisher.postback_edit,
        name="publisher-postback-edit",
    ),
    path(
        "publisher/postbacks/<int:template_id>/test/",
        publisher.postback_test,
        name="publisher-postback-test",
    ),
    path(
        "publisher/deliveries/<int:delivery_id>/resend/",
        publisher.delivery_resend_view,
        name="publisher-delivery-resend",
    ),
    path("publisher/payouts/", publisher.payouts, name="publisher-payouts"),
    path("publisher/payouts/details/", publisher.payout_details, name="publisher-payout-details"),
    # The publisher's tax forms (finance reviews them under /finance/tax-forms/).
    *tax_form_urls.urlpatterns,
    # Advertiser view.
    path("advertiser/", advertiser.offers, name="advertiser-offers"),
    path(
        "advertiser/offers/<int:offer_id>/",
        advertiser_offers.offer_edit,
        name="advertiser-offer",
    ),
    path("advertiser/conversions/", advertiser.conversions, name="advertiser-conversions"),
    path(
        "advertiser/conversions/<int:conversion_id>/",
        advertiser.conversion_detail,
        name="advertiser-conversion",
    ),
    path("advertiser/postback/", advertiser.postback_setup, name="advertiser-postback"),
    path("advertiser/access-requests/", advertiser_desk.access_requests, name="advertiser-access"),
    path(
        "advertiser/access-requests/<int:access_id>/decide/",
        advertiser_desk.access_request_decide,
        name="advertiser-access-decide",
    ),
    path("advertiser/callbacks/", advertiser_desk.callbacks, name="advertiser-callbacks"),
    path("advertiser/chart/", advertiser_desk.chart, name="advertiser-chart"),
    path(
        "advertiser/postback/rotate/",
        advertiser.postback_secret_rotate,
        name="advertiser-postback-rotate",
    ),
    path("advertiser/invoices/", advertiser_invoices.invoices, name="advertiser-invoices"),
    path(
        "advertiser/invoices/<int:invoice_id>/",
        advertiser_invoices.invoice_detail,
        name="advertiser-invoice",
    ),
    path(
        "advertiser/invoices/<int:invoice_id>/<str:kind>/",
        advertiser_invoices.invoice_file,
        name="advertiser-invoice-file",
    ),
    # Finance.
    path("finance/", finance.batches, name="finance-batches"),
    path("finance/batches/build/", finance.batch_build, name="finance-batch-build"),
    path("finance/batches/<int:batch_id>/", finance.batch_detail, name="finance-batch"),
    path(
        "finance/batches/<int:batch_id>/approve/",
        finance.batch_approve,
        name="finance-batch-approve",
    ),
    path(
        "finance/batches/<int:batch_id>/export/", finance.batch_export, name="finance-batch-export"
    ),
    path(
        "finance/batches/<int:batch_id>/mark-paid/",
        finance.batch_mark_paid,
        name="finance-batch-mark-paid",
    ),
    path(
        "finance/batches/<int:batch_id>/lines/<int:line_id>/fail/<str:verb>/",
        finance.line_fail,
        name="finance-line-fail",
    ),
    path("finance/confirmations/", finance.confirmations, name="finance-confirmations"),
    path(
        "finance/payout-details-changes/<int:change_id>/<str:verb>/",
        finance.payout_details_change_decide,
        name="finance-payout-details-change",
    ),
    path(
        "finance/adjustment-requests/<int:request_id>/<str:verb>/",
        finance.adjustment_decide,
        name="finance-adjustment-request",
    ),
    path("finance/balances/", finance.balances, name="finance-balances"),
    path("finance/invoices/", billing_pages.invoices, name="finance-invoices"),
    path("finance/invoices/draft/", billing_pages.invoice_draft, name="finance-invoice-draft"),
    path(
        "finance/invoices/<int:invoice_id>/", billing_pages.invoice_detail, name="finance-invoice"
    ),
    path(
        "finance/invoices/<int:invoice_id>/issue/",
        billing_pages.invoice_issue_view,
        name="finance-invoice-issue",
    ),
    path(
        "finance/invoices/<int:invoice_id>/pay/",
        billing_pages.invoice_pay,
        name="finance-invoice-pay",
    ),
    path(
        "finance/invoices/<int:invoice_id>/<str:kind>/",
        billing_pages.invoice_file,
        name="finance-invoice-file",
    ),
    path("finance/payments/", billing_pages.payments, name="finance-payments"),
    path("finance/periods/", books.periods, name="finance-periods"),
    path("finance/periods/<str:month>/<str:verb>/", books.period_decide, name="finance-period"),
    path("finance/tax-forms/", books.tax_forms, name="finance-tax-forms"),
    path(
        "finance/tax-forms/<int:form_id>/document/",
        books.tax_form_document,
        name="finance-tax-form-document",
    ),
    path(
        "finance/tax-forms/<int:form_id>/<str:verb>/",
        books.tax_form_decide,
        name="finance-tax-form",
    ),
    # Managers (plus the Django admin at /admin/).
    path("network/", network.network_dashboard, name="network-dashboard"),
    path("network/", include(manager_urls)),
]
