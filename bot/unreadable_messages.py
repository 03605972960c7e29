"""Treat a message the classifier cannot read as "not understood", and record why.

Empty messages, emoji only, or text in another script or language (the bot is English-only)
share no features with the training data, and logistic regression then falls back on its
class priors: it said `affirm` at 0.44 confidence for an empty message, for "😀" and for
Chinese text, and the bot answered a question nobody asked. Such messages become
`nlu_fallback` instead, and the parse data says why (`"unreadable": "not_latin"`, see
bot/readability.py), so the bot can tell someone writing in German that it only chats in
English rather than asking them to rephrase.

A message in Latin letters counts as another language when it has a few words and not one of
them is English: neither a common English function word (scikit-learn's stop-word list) nor a
word of our own training examples, which the component collects when the model is trained.
"""

from __future__ import annotations

import json
from typing import AbstractSet, Any, Dict, List

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
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from bot.readability import UNREADABLE_KEY, unreadable_reason, vocabulary

# Words of scikit-learn's English stop-word list that are everyday words in Spanish, French or
# Italian ("pedido de", "un ordine", "per favore"): they say nothing about the language.
_SHARED_WITH_OTHER_LANGUAGES = frozenset({"de", "con", "un", "per"})
COMMON_ENGLISH_WORDS = frozenset(ENGLISH_STOP_WORDS) - _SHARED_WITH_OTHER_LANGUAGES
_VOCABULARY_FILE = "vocabulary.json"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class UnreadableMessageGuard(GraphComponent):
    def __init__(self, model_storage: ModelStorage, resource: Resource,
                 trained_words: AbstractSet[str] = frozenset()) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self._trained_words = frozenset(trained_words)
        self.english_words = COMMON_ENGLISH_WORDS | self._trained_words

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnreadableMessageGuard:
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Collects the words of the training examples: words the bot knows are English."""
        examples = training_data.training_examples
        trained = vocabulary(example.get(TEXT) or "" for example in examples)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _VOCABULARY_FILE).write_text(json.dumps(sorted(trained)))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnreadableMessageGuard:
        with model_storage.read_from(resource) as directory:
            trained = json.loads((directory / _VOCABULARY_FILE).read_text())
        return cls(model_storage, resource, frozenset(trained))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            reason = unreadable_reason(message.get(TEXT) or "", self.english_words)
            if reason is None:
                continue
            fallback = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
                        PREDICTED_CONFIDENCE_KEY: 1.0}
            message.data[INTENT] = fallback
            message.data[INTENT_RANKING_KEY] = [fallback]
            message.set(UNREADABLE_KEY, reason, add_to_output=True)
        return messages
