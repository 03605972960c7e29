"""Settings of the action server, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ShopSettings:
    # The SQLite file of the sample shop; `python -m actions.seed` creates it.
    db_path: Path = PROJECT_ROOT / "var" / "shop.db"
    # Our published return window, counted from the delivery date.
    return_window_days: int = 30
    # Below this many units we warn the customer that stock is running out.
    low_stock_threshold: int = 5
    # Failed tries at an order number before the bot stops asking and offers other routes.
    max_order_id_attempts: int = 3


@lru_cache(maxsize=1)
def shop_settings() -> ShopSettings:
    """The settings, with `SHOP_DB_PATH` overriding where the shop database lives."""
    db_path = os.environ.get("SHOP_DB_PATH")
    return ShopSettings(db_path=Path(db_path)) if db_path else ShopSettings()
