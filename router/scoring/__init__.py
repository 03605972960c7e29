"""Frustration scoring: pure Python, no Redis, aiohttp or Rasa imports.

`assess(conversation, settings, previous_state)` looks at a conversation so far and returns an
Assessment: a score in [0, 1] built up over the turns, what each signal contributed and why,
and whether to hand off now.
"""

from router.scoring.conversation import BotTurn, Conversation, UserTurn
from router.scoring.scorer import Assessment, assess, assess_all
from router.scoring.settings import ScorerSettings, SettingsError
from router.scoring.state import FrustrationState

__all__ = ["Assessment", "BotTurn", "Conversation", "FrustrationState", "ScorerSettings",
           "SettingsError", "UserTurn", "assess", "assess_all"]
