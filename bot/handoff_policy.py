"""The router inside Rasa: a policy that scores every customer turn and hands off on the turn
the threshold is crossed.

Scoring runs in the Rasa process (a remote action every turn would cost 16-75 ms; this costs
well under a millisecond). The assessment is recorded on every turn as the `frustration` slot,
so the tracker holds the whole timeline. When it says hand off, this policy predicts
`action_handoff` at full confidence with a priority above RulePolicy's, so it wins on that very
turn; otherwise it abstains and the bot answers as usual.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    BotUttered,
    ConversationResumed,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from router.live_settings import LiveSettings
from router.scoring import BotTurn, UserTurn, assess
from router.scoring.conversation import Turn

FRUSTRATION_SLOT = "frustration"


def conversation_from_tracker(tracker: DialogueStateTracker) -> List[Turn]:
    """The user and bot lines since the session started or a person handed the conversation
    back (what happened before is settled: it must not trigger another handoff)."""
    turns: List[Turn] = []
    for event in tracker.events:
        if isinstance(event, (SessionStarted, ConversationResumed)):
            turns = []
        elif isinstance(event, UserUttered):
            intent = event.intent or {}
            sentiment = (event.parse_data or {}).get("sentiment") or {}
            turns.append(UserTurn(text=event.text or "", intent=intent.get("name"),
                                  confidence=float(intent.get("confidence") or 0.0),
                                  sentiment=float(sentiment.get("score") or 0.0),
                                  timestamp=event.timestamp))
        elif isinstance(event, BotUttered):
            action = (event.metadata or {}).get("utter_action") or "bot"
            turns.append(BotTurn(action=action, text=event.text or "",
                                 timestamp=event.timestamp))
    return turns


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class HandoffPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # RulePolicy's priority is 4: ours must win a tie at confidence 1.0.
        return {"priority": 5, "handoff_action": "action_handoff"}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Optional[Any] = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.handoff_action = config["handoff_action"]
        # Live: a change made with `python -m router.settings_cli` applies on the next turn.
        self.settings = LiveSettings(os.environ.get("REDIS_URL"))

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain,
              **kwargs: Any) -> Resource:
        return self._resource  # nothing to learn from stories: the scorer has its own settings

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[str, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        latest_action = tracker.latest_action_name
        if latest_action == self.handoff_action:
            # When nobody could take over the bot keeps the conversation: listen again.
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
            return self._prediction(probabilities)
        if latest_action != ACTION_LISTEN_NAME or not isinstance(
                tracker.latest_message, UserUttered) or tracker.latest_message.text is None:
            return self._prediction(probabilities)
        assessment = assess(conversation_from_tracker(tracker), self.settings.current)
        events = [SlotSet(FRUSTRATION_SLOT, assessment.as_dict())]
        if assessment.handoff and self.handoff_action in domain.action_names_or_texts:
            probabilities[domain.index_for_action(self.handoff_action)] = 1.0
        return self._prediction(probabilities, events=events)

    def _metadata(self) -> Dict[str, Any]:
        return {}

    @classmethod
    def _metadata_filename(cls) -> str:
        return "handoff_policy"
