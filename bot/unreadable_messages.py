"""Treat a message the classifier cannot read as "not understood".

Empty messages, emoji only, or text in another script (the bot is English-only) share no
features with the training data, and logistic regression then falls back on its class priors:
it said `affirm` at 0.44 confidence for an empty message, for "😀" and for Chinese text, and
the bot answered a question nobody asked. Such messages become `nlu_fallback` instead.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

# A Latin letter or a digit: without one there is nothing our English pipeline can read.
_READABLE = re.compile(r"[A-Za-z0-9]")


def is_readable(text: str) -> bool:
    return bool(_READABLE.search(text))


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class UnreadableMessageGuard(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnreadableMessageGuard:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if not is_readable(message.get(TEXT) or ""):
                fallback = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
                            PREDICTED_CONFIDENCE_KEY: 1.0}
                message.data[INTENT] = fallback
                message.data[INTENT_RANKING_KEY] = [fallback]
        return messages
