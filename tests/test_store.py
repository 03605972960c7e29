"""The shop database: reads, guarded writes, and a clear error when it is missing."""

import asyncio
from datetime import date
from pathlib import Path

import pytest

from actions.store import ShopDatabaseMissing, ShopStore


@pytest.fixture
def store(shop_db: Path) -> ShopStore:
    return ShopStore(shop_db)


async def test_an_order_comes_back_with_its_items(store: ShopStore) -> None:
    order = await store.order("117450")
    assert order is not None
    assert order.status == "processing"
    assert order.items == ("sleeping bag", "2 x water bottle")
    assert order.total_cents == 15900 + 2 * 2200


async def test_unknown_ids_are_none_not_errors(store: ShopStore) -> None:
    assert await store.order("000000") is None
    assert await store.shipment("730155") is None
    assert await store.refund("482913") is None
    assert await store.product("kayak") is None


async def test_only_an_unshipped_order_can_be_cancelled(store: ShopStore) -> None:
    today = date.today()
    assert await store.cancel("730155", today) is True
    assert await store.cancel("730155", today) is False  # already cancelled
    assert await store.cancel("482913", today) is False  # shipped
    order = await store.order("730155")
    assert order is not None and order.cancelled_on == today


async def test_only_an_unshipped_order_can_change_address(store: ShopStore) -> None:
    assert await store.change_address("117450", "1 New Road, 11111 Town") is True
    assert await store.change_address("482913", "1 New Road, 11111 Town") is False
    shipped = await store.order("482913")
    assert shipped is not None and shipped.address == "18 Cedar Court, 97201 Portland"


async def test_concurrent_returns_for_one_order_open_exactly_one(store: ShopStore) -> None:
    today = date.today()
    results = await asyncio.gather(
        *(store.create_return("551204", f"reason {n}", today) for n in range(8))
    )
    assert len({r.rma for r in results}) == 1
    open_return = await store.open_return("551204")
    assert open_return is not None and open_return.rma == results[0].rma


async def test_a_missing_database_says_how_to_create_it(tmp_path: Path) -> None:
    store = ShopStore(tmp_path / "nowhere.db")
    with pytest.raises(ShopDatabaseMissing, match="python -m actions.seed"):
        await store.order("482913")
    assert not (tmp_path / "nowhere.db").exists()  # a read must not create an empty file
