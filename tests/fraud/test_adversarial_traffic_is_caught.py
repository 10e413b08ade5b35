"""Each attack ends as the default rules say (fraud/traffic.py), with its evidence; the clean
traffic beside it stays approved and earns."""

from fraud.models import FraudRule
from payouts.models import LedgerEntry
from tests.fraud.traffic import addresses, fired, of

# Addresses in GB (81.2.69.0/24 in iptocc) and the US (8.8.8.x): real, routable, not hosting.
CLEAN = addresses("81.2.69", 6)


def _earned(conversion) -> bool:
    return LedgerEntry.objects.filter(conversion=conversion).exists()


def test_a_click_flood_from_one_address_holds_its_conversions(net):
    flood = net.clicks("bad", ips=["8.8.8.8"] * 15)
    clean = net.clicks("clean", ips=CLEAN)
    net.convert([flood[-1]], later=120)
    net.convert(clean, later=120)

    assert flood[-1].signals["ip_velocity"] >= 10
    assert flood[-1].signals["ip_ua_velocity"] >= 10
    held = of([flood[-1]])[0]
    assert (held.status, held.reject_reason) == ("pending", "fraud_review")
    assert fired(held)["ip_velocity"] >= 10
    assert held.fraud["action"] == "hold"
    assert any(step["check"] == "fraud" and not step["ok"] for step in held.explanation)
    assert not _earned(held)  # held money is no money until a manager decides
    for conversion in of(clean):
        assert conversion.status == "approved", conversion.fraud
        assert _earned(conversion)


def test_conversions_one_second_after_their_click_are_flagged_once_the_publisher_has_twenty(
    net,
):
    fast = net.clicks("bad", ips=addresses("8.8.4", 22))
    clean = net.clicks("clean", ips=addresses("81.2.70", 22))
    net.convert(fast, later=1)
    net.convert(clean, later=300)

    conversions = of(fast)
    assert all(c.fraud["signals"]["click_to_conversion_seconds"] <= 2 for c in conversions)
    assert conversions[0].status == "approved"  # 1 of at least 20: too little to judge
    last = conversions[-1]
    assert (last.status, last.fraud["action"]) == ("approved", "flag")  # the default: flag
    assert fired(last)["fast_conversion_share"] == 1.0
    assert not any(fired(c) for c in of(clean))
    assert {c.status for c in of(clean)} == {"approved"}

    # A manager who knows this offer's conversions are never that fast holds them.
    FraudRule.objects.create(
        offer=net.offer, signal="fast_conversion_share", threshold=0.5, action="hold"
    )
    more = net.clicks("bad", ips=["8.8.4.100"])
    net.convert(more, later=1)
    assert of(more)[0].reject_reason == "fraud_review"


def test_twenty_conversions_from_one_address_on_one_offer_are_held_from_the_fifth(net):
    # Spread over user agents, so only the address ties them.
    farm = []
    for n in range(20):
        farm += net.clicks("bad", ips=["8.8.8.8"], ua=f"Mozilla/5.0 (X11; Linux) Firefox/{100 + n}")
    clean = net.clicks("clean", ips=CLEAN)
    net.convert(farm, later=120)
    net.convert(clean, later=120)

    conversions = of(farm)
    assert [c.status for c in conversions[:4]] == ["approved"] * 4
    assert {c.reject_reason for c in conversions[4:]} == {"fraud_review"}
    assert fired(conversions[-1])["repeated_conversions_ip"] == 20
    assert {c.status for c in of(clean)} == {"approved"}


def test_a_publisher_whose_conversions_the_advertiser_keeps_rejecting_is_held(net):
    rejected = net.clicks("bad", ips=addresses("8.8.4", 20))
    net.convert(rejected, later=120, status="rejected")
    assert {c.reject_reason for c in of(rejected)} == {"advertiser_rejected"}
    clean = net.clicks("clean", ips=CLEAN)
    fresh = net.clicks("bad", ips=["8.8.4.200"])
    net.convert(fresh + clean, later=120)

    held = of(fresh)[0]
    assert (held.status, held.reject_reason) == ("pending", "fraud_review")
    assert fired(held)["advertiser_rejection_rate"] == 1.0
    assert {c.status for c in of(clean)} == {"approved"}
