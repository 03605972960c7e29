"""The first step of the NLU pipeline: it never reads more than a bounded text.

Our channels refuse longer lines before Rasa sees them (bot/customer_input.py), but a
messaging channel added later, or Rasa's own HTTP API, does not pass that door; one 1 MB line
once kept the bot busy for 17 s, for every customer. Here the text the NLU reads is cut to the
same limit; the customer's line itself is stored as it came.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from router.clean_text import valid_text
from router.customer_limits import CustomerLimits


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False
)
class BoundedText(GraphComponent):
    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> BoundedText:
        return cls(CustomerLimits.from_env().max_message_chars)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Our own examples are short: nothing to cut."""
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                message.set(TEXT, valid_text(text[:self.max_chars]))
        return messages
