"""The one ShopStore the action server shares, built from the settings on first use."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from actions.settings import shop_settings
from actions.store import ShopStore


@lru_cache(maxsize=1)
def shop() -> ShopStore:
    return ShopStore(shop_settings().db_path)


def today() -> date:
    return date.today()
