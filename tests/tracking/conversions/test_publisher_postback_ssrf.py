"""Publisher postbacks never reach private, loopback, link-local or reserved addresses, however
the address is spelled, and redirects are never followed. Proven with a real local server that
counts connections: it must see none. POSTBACK_ALLOW_LOOPBACK stays off (the default)."""

import pytest
from django.test import override_settings

from tests import factories
from tests.tracking.conversions.servers import connection_counter, scripted_http
from tracking.models import PostbackAttempt, PostbackDelivery
from tracking.postbacks.services import deliveries_create, delivery_attempt
from tracking.postbacks.targets import UnsafeTargetError, target_resolve

PRIVATE_TARGETS = [
    ("http://10.1.2.3/pb", "private"),
    ("http://172.16.0.1/pb", "private"),
    ("http://172.31.255.254/pb", "private"),
    ("http://192.168.1.1/pb", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link_local"),
    ("http://[fc00::1]/pb", "private"),
    ("http://[fd12:3456::1]/pb", "private"),
    ("http://[fe80::1]/pb", "link_local"),
    ("http://[::ffff:10.0.0.1]/pb", "private"),
    ("http://[::ffff:169.254.169.254]/pb", "link_local"),
    ("http://[64:ff9b::a00:1]/pb", "private"),
    ("http://0.0.0.0/pb", "unspecified"),
    ("http://[::]/pb", "unspecified"),
    ("http://224.0.0.1/pb", "multicast"),
    ("http://240.0.0.1/pb", "private"),  # 240/4 is in the private table too
    ("http://100.64.0.1/pb", "not_global"),
    ("ftp://example.com/pb", "bad_scheme"),
    ("http://user:pw@example.com/pb", "credentials_in_url"),
]


@pytest.mark.parametrize(("url", "reason"), PRIVATE_TARGETS, ids=[u for u, _ in PRIVATE_TARGETS])
def test_a_private_or_reserved_target_is_refused(url, reason):
    with pytest.raises(UnsafeTargetError) as refused:
        target_resolve(url)
    assert refused.value.reason == reason


LOOPBACK_SPELLINGS = [
    "http://127.0.0.1:{port}/pb",
    "http://127.1.2.3:{port}/pb",
    "http://2130706433:{port}/pb",  # decimal
    "http://0x7f000001:{port}/pb",  # hex
    "http://0x7f.0.0.1:{port}/pb",
    "http://0177.0.0.1:{port}/pb",  # octal
    "http://017700000001:{port}/pb",
    "http://localhost:{port}/pb",  # a name resolving to loopback
    "http://ip6-localhost:{port}/pb",
    "http://[::1]:{port}/pb",
    "http://[::ffff:127.0.0.1]:{port}/pb",
    "http://[::ffff:7f00:1]:{port}/pb",
]


@pytest.mark.django_db
def test_no_spelling_of_loopback_gets_a_single_connection():
    publisher = factories.PublisherFactory()
    conversion = factories.ConversionFactory(publisher=publisher)
    with connection_counter() as counter:
        for n, spelling in enumerate(LOOPBACK_SPELLINGS):
            url = spelling.format(port=counter.port)
            template = factories.PostbackTemplateFactory(publisher=publisher, url=url)
            delivery = PostbackDelivery.objects.create(
                conversion=conversion,
                template=template,
                publisher=publisher,
                event="approved",
                url=url,
            )
            assert delivery_attempt(delivery_id=delivery.id) is None, url
            delivery.refresh_from_db()
            assert delivery.status == "refused", url
            attempt = PostbackAttempt.objects.get(delivery=delivery)
            assert attempt.outcome.startswith("refused_"), (url, attempt.outcome)
            assert attempt.connected_ip is None
            assert n + 1 == PostbackAttempt.objects.count()
        assert counter.count == 0


@pytest.mark.django_db
@override_settings(POSTBACK_ALLOW_LOOPBACK=True)
def test_a_redirect_to_a_private_address_is_not_followed():
    """The first hop must be reachable to answer 302, so loopback is allowed for this test only;
    the redirect points at another local server, which must see no connection."""
    publisher = factories.PublisherFactory()
    conversion = factories.ConversionFactory(publisher=publisher)
    with connection_counter() as counter:
        answers = [(302, {"Location": f"http://127.0.0.1:{counter.port}/stolen"}, b"")]
        with scripted_http(answers) as server:
            factories.PostbackTemplateFactory(
                publisher=publisher, url=f"http://127.0.0.1:{server['port']}/pb?c={{click_id}}"
            )
            (delivery_id,) = deliveries_create(conversion_ids=[conversion.id])
            delivery_attempt(delivery_id=delivery_id)
        assert counter.count == 0
    attempt = PostbackAttempt.objects.get()
    assert (attempt.status_code, attempt.outcome) == (302, "http_error")
    assert PostbackDelivery.objects.get().status == "pending"  # retried later, never redirected


def test_the_loopback_switch_is_off_by_default():
    from django.conf import settings

    assert settings.POSTBACK_ALLOW_LOOPBACK is False
