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
from typing import Any, Dict, List, Optional, Tuple

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from router import metrics
from router.live_settings import LiveSettings
from router.scoring import assess
from router.scoring.combiner import LEARNED_MODEL_PATH, load_learned_model
from router.scoring.conversation import Turn, turns_from_lines
from router.scoring.scorer import as_state
from router.scoring.state import FrustrationState
from router.transcript import FRESH_START_EVENTS, FRUSTRATION_SLOT, lines_from_events


def _since_fresh_start(tracker: DialogueStateTracker) -> List[Event]:
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if events[index].type_name in FRESH_START_EVENTS:
            return events[index + 1:]
    return events


def conversation_from_tracker(tracker: DialogueStateTracker
                              ) -> Tuple[List[Turn], Optional[FrustrationState]]:
    """The lines the router scores (since the session started or a person handed back), and
    the state its last assessment left, so only the newest turn needs scoring."""
    events = [event.as_dict() for event in _since_fresh_start(tracker)]
    previous = None
    for event in reversed(events):
        if event.get("event") == "slot" and event.get("name") == FRUSTRATION_SLOT:
            previous = as_state(event.get("value"))
            break
    return turns_from_lines(lines_from_events(events)), previous


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
        # Counted off the turn: a background thread writes the counts to Redis.
        self.tally = metrics.shared_tally(os.environ.get("REDIS_URL"))
        self.learned = load_learned_model(LEARNED_MODEL_PATH)

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
        conversation, previous = conversation_from_tracker(tracker)
        # An admin may tune a channel apart (router/channel_settings.py): this turn's decides.
        settings = self.settings.for_channel(tracker.get_latest_input_channel())
        assessment = assess(conversation, settings, previous, self.learned)
        events = [SlotSet(FRUSTRATION_SLOT, assessment.as_dict())]
        self._count(assessment.handoff, assessment.handoff_reason, settings.shadow_mode)
        if assessment.handoff and not settings.shadow_mode and \
                self.handoff_action in domain.action_names_or_texts:
            probabilities[domain.index_for_action(self.handoff_action)] = 1.0
        return self._prediction(probabilities, events=events)

    def _count(self, handoff: bool, reason: Optional[str], shadow_mode: bool) -> None:
        self.tally.add(metrics.TURNS_SCORED)
        if handoff:
            self.tally.add(metrics.HANDOFF_DECISIONS, metrics.reason_kind(reason),
                           metrics.SHADOW if shadow_mode else metrics.LIVE)

    def _metadata(self) -> Dict[str, Any]:
        return {}

    @classmethod
    def _metadata_filename(cls) -> str:
        return "handoff_policy"
