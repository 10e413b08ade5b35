"""The money policy table itself: every action x role, with conditions met and unmet.

The generated end-to-end walk through the real endpoints is tests/accounts/test_money_policy.py;
this file pins the table's logic without HTTP, and keeps docs/security.md in step with it.
"""

from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import User
from accounts.policy import (
    POLICY,
    ROLES,
    SUPERUSER,
    VISITOR,
    Action,
    actor_roles,
    policy_allows,
    policy_require,
)
from accounts.policy_doc import SECURITY_DOC, policy_matrix_markdown
from core.errors import ForbiddenError


def a_user(role: str, pk: int = 7) -> User | None:
    if role == VISITOR:
        return None
    if role == SUPERUSER:
        return User(pk=pk, username="root", role="manager", is_superuser=True, is_staff=True)
    return User(
        pk=pk,
        username=role,
        role=role,
        advertiser_id=11 if role == "advertiser" else None,
        publisher_id=22 if role == "publisher" else None,
        is_staff=role == "manager",
    )


def partner(role: str = "publisher") -> User:
    return User(pk=99, username="partner", role=role, publisher_id=22)


def facts_met(user: User | None) -> dict:
    return {
        "advertiser_id": getattr(user, "advertiser_id", None),
        "publisher_id": getattr(user, "publisher_id", None),
        "hold_reason": "advertiser_approval",
        "reason": "checked with the advertiser",
        "authors": set(),
        "requested_by_id": -1,
        "target_id": -1,
        "target": partner(),
        "target_role": "publisher",
        "within_reversal_window": True,
        "validated_by_id": -1,
        "uploaded_by_id": -1,
        "cuts_live_revenue": False,
    }


def facts_unmet(user: User | None) -> dict:
    staff_target = User(pk=98, username="fin", role="finance")
    return {
        "advertiser_id": 12345,
        "publisher_id": 54321,
        "hold_reason": "cap_reached",
        "reason": "   ",
        "authors": {getattr(user, "pk", None)},
        "requested_by_id": getattr(user, "pk", None),
        "target_id": getattr(user, "pk", None),
        "target": staff_target,
        "target_role": "finance",
        "within_reversal_window": False,
        "validated_by_id": getattr(user, "pk", None),
        "uploaded_by_id": getattr(user, "pk", None),
        "cuts_live_revenue": True,
    }


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_allowed_exactly_what_its_grants_say(action, role):
    user = a_user(role)
    granted = bool(actor_roles(user) & {grant.role for grant in POLICY[action].grants})
    assert policy_allows(action=action, user=user, facts=facts_met(user)) is granted


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", ROLES)
def test_a_grant_with_conditions_refuses_when_they_are_unmet(action, role):
    user = a_user(role)
    grants = [grant for grant in POLICY[action].grants if grant.role in actor_roles(user)]
    unconditional = any(not grant.conditions for grant in grants)
    allowed = policy_allows(action=action, user=user, facts=facts_unmet(user))
    assert allowed is unconditional


def test_a_refusal_is_a_403_naming_the_unmet_condition():
    finance = a_user("finance")
    with pytest.raises(ForbiddenError) as refused:
        policy_require(action=Action.BATCH_APPROVE, user=finance, facts={"authors": {finance.pk}})
    assert refused.value.status_code == 403
    assert "authored none of it" in refused.value.message


def test_a_role_without_a_grant_is_told_who_may():
    with pytest.raises(ForbiddenError) as refused:
        policy_require(action=Action.BATCH_BUILD, user=a_user("manager"), facts={})
    assert refused.value.message == "Only finance may do this (batch.build)."


def test_a_missing_fact_is_an_error_never_an_allow():
    with pytest.raises(KeyError):
        policy_allows(action=Action.BATCH_APPROVE, user=a_user("finance"), facts={})


def test_an_inactive_user_acts_as_a_visitor():
    finance = a_user("finance")
    finance.is_active = False
    assert actor_roles(finance) == {VISITOR}
    assert not policy_allows(action=Action.BATCH_BUILD, user=finance)


def test_an_advertiser_cannot_approve_a_conversion_of_another_advertiser():
    advertiser = a_user("advertiser")
    facts = facts_met(advertiser) | {"advertiser_id": advertiser.advertiser_id + 1}
    assert not policy_allows(action=Action.CONVERSION_APPROVE, user=advertiser, facts=facts)


def test_a_manager_may_not_act_on_a_staff_user_even_if_it_would_become_a_partner():
    manager = a_user("manager")
    facts = {"target": User(pk=5, username="f", role="finance"), "target_role": "publisher"}
    assert not policy_allows(action=Action.USER_MANAGE, user=manager, facts=facts)
    superuser_target = User(pk=6, username="s", role="publisher", publisher_id=1, is_superuser=True)
    facts = {"target": superuser_target, "target_role": "publisher"}
    assert not policy_allows(action=Action.API_KEY_MINT_FOR_OTHER, user=manager, facts=facts)


def test_docs_security_md_shows_the_policy_as_the_code_has_it():
    text = (Path(settings.BASE_DIR) / SECURITY_DOC).read_text()
    assert policy_matrix_markdown() in text, "run: python manage.py policy_matrix --write"
