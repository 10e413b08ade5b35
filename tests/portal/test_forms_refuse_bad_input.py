"""Every form refuses bad input with a message beside the field, and writes nothing."""

from affiliates.models import OfferAccess, PostbackTemplate
from payouts.models import PayoutBatch
from tests import factories
from tests.portal.conftest import client_as
from tracking.models import TrackingLink


def _field_errors(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


def test_a_postback_url_that_is_not_http_is_refused_beside_the_url_field(net):
    response = client_as(net.publisher_user).post(
        "/publisher/postbacks/new/",
        {"scope": "global", "url": "ftp://pub.example/pb", "method": "GET", "events": "approved"},
    )
    assert response.status_code == 200
    assert _field_errors(response, "url")
    assert 'id="url-errors"' in response.content.decode()
    assert not PostbackTemplate.objects.exists()


def test_an_unknown_macro_in_a_postback_url_is_named_beside_the_url_field(net):
    response = client_as(net.publisher_user).post(
        "/publisher/postbacks/new/",
        {
            "scope": "global",
            "url": "https://pub.example/pb?c={clickid}",
            "method": "GET",
            "events": "approved",
        },
    )
    assert any("clickid" in error for error in _field_errors(response, "url"))
    assert not PostbackTemplate.objects.exists()


def test_an_offer_scoped_template_without_an_offer_is_refused_beside_the_offer_field(net):
    response = client_as(net.publisher_user).post(
        "/publisher/postbacks/new/",
        {"scope": "offer", "url": "https://pub.example/pb", "method": "GET", "events": "approved"},
    )
    assert _field_errors(response, "offer") == ["Required for scope offer."]
    assert not PostbackTemplate.objects.exists()


def test_another_advertisers_private_offer_is_not_a_choice_for_a_template(net):
    response = client_as(net.publisher_user).post(
        "/publisher/postbacks/new/",
        {
            "scope": "offer",
            "offer": net.private_offer.id,
            "url": "https://pub.example/pb",
            "method": "GET",
            "events": "approved",
        },
    )
    assert _field_errors(response, "offer")
    assert not PostbackTemplate.objects.exists()


def test_an_edit_with_bad_input_leaves_the_template_as_it_was(net):
    template = factories.PostbackTemplateFactory(publisher=net.publisher)
    response = client_as(net.publisher_user).post(
        f"/publisher/postbacks/{template.id}/",
        {"scope": "global", "url": "javascript:alert(1)", "method": "GET", "events": "approved"},
    )
    assert _field_errors(response, "url")
    template.refresh_from_db()
    assert template.url == "https://pub.example/pb?click={click_id}&payout={payout}"


def test_a_sub_id_longer_than_255_characters_is_refused_and_no_link_is_minted(net):
    response = client_as(net.publisher_user).post(
        f"/publisher/offers/{net.offer.id}/", {"sub1": "x" * 256}
    )
    assert _field_errors(response, "sub1")
    assert response.context["built_url"] is None
    assert not TrackingLink.objects.exists()


def test_a_second_access_request_is_refused_with_a_message(net):
    client = client_as(net.publisher_user)
    client.post(f"/publisher/offers/{net.approval_offer.id}/request/", {"message": "hi"})
    response = client.post(f"/publisher/offers/{net.approval_offer.id}/request/", follow=True)
    assert "An access request for this offer already exists." in response.content.decode()
    assert OfferAccess.objects.filter(publisher=net.publisher).count() == 1


def test_a_batch_in_an_unknown_currency_is_refused_beside_the_currency_field(net):
    response = client_as(net.finance).post("/finance/batches/build/", {"currency": "XYZ"})
    assert _field_errors(response, "currency") == ["Unknown currency XYZ."]
    assert not PayoutBatch.objects.exists()


def test_a_batch_with_a_cut_off_in_the_future_is_refused_beside_the_cut_off_field(net):
    response = client_as(net.finance).post(
        "/finance/batches/build/", {"currency": "USD", "cut_off": "2999-01-01T00:00"}
    )
    assert _field_errors(response, "cut_off") == ["The cut-off cannot be in the future."]
    assert not PayoutBatch.objects.exists()


def test_a_batch_with_nothing_to_pay_says_so_and_writes_nothing(net):
    response = client_as(net.finance).post("/finance/batches/build/", {"currency": "USD"})
    assert "No publisher is due a payout in USD" in response.content.decode()
    assert not PayoutBatch.objects.exists()


def test_rejecting_a_conversion_that_is_not_pending_is_refused_and_changes_nothing(net):
    conversion = factories.ConversionFactory(goal=net.goal, publisher=net.publisher)
    response = client_as(net.advertiser_user).post(
        f"/advertiser/conversions/{conversion.id}/", {"action": "reject", "reason": "late"}
    )
    assert "Cannot reject a approved conversion." in response.content.decode()
    conversion.refresh_from_db()
    assert conversion.status == "approved"
    assert not conversion.history.exists()


def test_a_report_whose_range_runs_backwards_is_refused_beside_date_from(net):
    response = client_as(net.publisher_user).get(
        "/reports/", {"date_from": "2025-02-01", "date_to": "2025-01-01", "group_by": "day"}
    )
    assert _field_errors(response, "date_from") == ["date_from is after date_to."]
    assert response.context["report"] is None


def test_a_report_date_that_is_not_a_date_is_refused_beside_its_field(net):
    response = client_as(net.publisher_user).get("/reports/", {"date_to": "yesterday"})
    assert _field_errors(response, "date_to")
    assert response.context["report"] is None
