"""Proof of ownership: the email on an order, compared loosely, remembered per conversation."""

from pathlib import Path

from actions import ownership
from actions.settings import shop_settings
from actions.shop import shop
from tests.factories import tracker


def test_emails_match_whatever_the_case_and_surrounding_spaces() -> None:
    assert ownership.emails_match("  Jon.Ortiz@Example.ORG\n", "jon.ortiz@example.org")


def test_a_different_email_does_not_match() -> None:
    assert not ownership.emails_match("jon.ortiz@example.com", "jon.ortiz@example.org")
    assert not ownership.emails_match("jonortiz@example.org", "jon.ortiz@example.org")


def test_nothing_matches_an_empty_answer() -> None:
    assert not ownership.emails_match("", "")
    assert not ownership.emails_match("   ", "   ")


async def test_an_order_is_confirmed_only_once_its_email_was_given(shop_db: Path) -> None:
    order = await shop().order("730155")
    assert order is not None
    assert not await ownership.is_confirmed(tracker(), order)
    assert await ownership.is_confirmed(tracker(slots={"verified_order_ids": ["730155"]}), order)


async def test_the_same_email_confirms_the_customers_other_orders(
    shop_db: Path, second_order_of_jon: str
) -> None:
    second = await shop().order(second_order_of_jon)
    other_customer = await shop().order("117450")
    assert second is not None and other_customer is not None
    jon = tracker(slots={"verified_order_ids": ["730155"]})
    assert await ownership.is_confirmed(jon, second)
    assert not await ownership.is_confirmed(jon, other_customer)


def test_the_tries_run_out_at_the_settings_limit(shop_db: Path) -> None:
    limit = shop_settings().max_order_email_attempts
    assert not ownership.out_of_attempts(tracker(slots={"order_email_attempts": limit - 1}))
    assert ownership.out_of_attempts(tracker(slots={"order_email_attempts": limit}))
    assert not ownership.out_of_attempts(tracker())

