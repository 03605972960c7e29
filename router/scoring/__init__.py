"""Frustration scoring: pure Python, no Redis, aiohttp or Rasa imports.

`assess(conversation, settings)` looks at a conversation so far and returns an Assessment:
a score in [0, 1], what each signal contributed and why, and whether to hand off now.
"""

from router.scoring.conversation import BotTurn, Conversation, UserTurn
from router.scoring.scorer import Assessment, assess
from router.scoring.settings import ScorerSettings, SettingsError

__all__ = ["Assessment", "BotTurn", "Conversation", "ScorerSettings", "SettingsError",
           "UserTurn", "assess"]
