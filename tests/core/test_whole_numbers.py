"""Ids typed by people and fuzzers: only ASCII digits within the column are a whole number
(core.validation.whole_number). `"²".isdigit()` is True and `int("²")` raises, which made the
audit log's `?actor=` answer 500 (found by schemathesis; the callback inbox page's
`?advertiser=` is pinned in tests/portal/test_manager_inbox.py)."""

import pytest

from core.validation import BIGINT_MAX, whole_number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("0", 0),
        ("42", 42),
        ("007", 7),
        (str(BIGINT_MAX), BIGINT_MAX),
        (str(BIGINT_MAX + 1), None),
        ("9" * 40, None),
        ("²", None),
        ("1¹", None),
        ("٣", None),  # an Arabic-Indic three
        ("-1", None),
        ("1.0", None),
        (" 1", None),
        ("", None),
    ],
)
def test_only_ascii_digits_within_a_bigint_are_a_whole_number(text, number):
    assert whole_number(text) == number


def test_a_smaller_maximum_is_kept():
    assert whole_number("500", maximum=500) == 500
    assert whole_number("501", maximum=500) is None


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["¹", "9" * 30])
def test_the_audit_log_answers_a_superscript_or_huge_actor_with_a_400(manager_client, actor):
    response = manager_client.get("/api/v1/audit/", {"actor": actor})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"actor"}
