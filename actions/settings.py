"""Settings of the action server, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from router.service_settings import ServiceSettings

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
    # Wrong emails for an order before the bot stops asking, leaves the order untouched and
    # offers a person. Counted per conversation: a typo or two is human, a string of guesses
    # is someone who does not own the order.
    max_order_email_attempts: int = 3
    # Wrong emails for one order per hour, across every conversation: a new conversation
    # must not buy three more guesses. At it, the order's changes wait for a person.
    max_order_email_guesses_per_hour: int = 10
    # When people answer chats, holidays, the queue's limit: the defaults of what an admin
    # changes live (router/service_settings.py).
    service: ServiceSettings = ServiceSettings()
    redis_url: str = "redis://127.0.0.1:6390/0"

    @property
    def support_timezone(self) -> str:
        """The shop's time zone as the environment sets it (an admin's live change is in
        router/service_settings.py `live`)."""
        return self.service.timezone


@lru_cache(maxsize=1)
def shop_settings() -> ShopSettings:
    """The settings, from the environment: SHOP_DB_PATH, REDIS_URL, and the service defaults
    (SUPPORT_HOURS "always" for around the clock, the shop's published hours otherwise;
    SUPPORT_TIMEZONE; HANDOFF_QUEUE_LIMIT; QUEUE_MAX_WAIT)."""
    env = os.environ
    return ShopSettings(
        db_path=Path(env.get("SHOP_DB_PATH") or ShopSettings.db_path),
        service=ServiceSettings.from_env(env),
        redis_url=env.get("REDIS_URL", ShopSettings.redis_url),
    )
