"""An approved conversion whose "owe the postbacks" message was lost (a worker SIGKILLed holding
it, Redis down right after the commit) is owed its postbacks by the periodic sweep, once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from tracking.models import Conversion, PostbackDelivery
from tracking.postbacks.services import conversions_unnotified, deliveries_create

pytestmark = pytest.mark.django_db


def _settled(conversion: Conversion, seconds: int = 60) -> Conversion:
    Conversion.objects.filter(id=conversion.id).update(
        created_at=timezone.now() - timedelta(seconds=seconds)
    )
    return conversion


def test_a_settled_approved_conversion_without_deliveries_is_found_and_owed_once():
    publisher = factories.PublisherFactory()
    factories.PostbackTemplateFactory(publisher=publisher, url="https://pub.example/a")
    factories.PostbackTemplateFactory(publisher=publisher, url="https://pub.example/b")
    lost = _settled(factories.ConversionFactory(publisher=publisher))
    assert conversions_unnotified() == [lost.id]
    deliveries_create(conversion_ids=conversions_unnotified())
    assert PostbackDelivery.objects.filter(conversion=lost).count() == 2
    assert conversions_unnotified() == []
    deliveries_create(conversion_ids=[lost.id])  # the late message arrives after all
    assert PostbackDelivery.objects.filter(conversion=lost).count() == 2


def test_recent_rejected_or_template_less_conversions_are_left_alone():
    publisher = factories.PublisherFactory()
    factories.PostbackTemplateFactory(publisher=publisher)
    factories.ConversionFactory(publisher=publisher)  # its message may still be on the way
    _settled(factories.ConversionFactory(publisher=publisher, status=Conversion.Status.REJECTED))
    _settled(factories.ConversionFactory())  # its publisher has no template
    _settled(factories.ConversionFactory(publisher=publisher), seconds=2 * 86400)  # too old
    assert conversions_unnotified() == []
