"""A Rasa NLU component that scores the sentiment of every customer message.

The result is stored under the message's own `sentiment` key (not `entities`, where unknown
entities would warn and could fill slots), so it appears in `/model/parse`, in every
`UserUttered` event of the tracker and in `tracker.latest_message` for actions and policies.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

SENTIMENT = "sentiment"


def label_for(score: float, positive_from: float, negative_to: float) -> str:
    """Name a compound score: the thresholds are VADER's authors' recommended cut-offs."""
    if score >= positive_from:
        return "positive"
    if score <= negative_to:
        return "negative"
    return "neutral"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class SentimentAnalyzer(GraphComponent):
    """Adds `{"score", "label", "negative", "neutral", "positive"}` to each message."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # VADER's documented cut-offs for its compound score.
            "positive_from": 0.05,
            "negative_to": -0.05,
            # VADER is linear in the text's length; a 10,000-character message would take
            # ~50 ms and says nothing more about the mood than its opening does.
            "max_chars": 2000,
        }

    def __init__(self, config: Dict[str, Any]) -> None:
        self._config = config
        self._analyzer = SentimentIntensityAnalyzer()

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentimentAnalyzer:
        return cls({**cls.get_default_config(), **config})

    def score(self, text: Optional[str]) -> Dict[str, Any]:
        """The sentiment of one text; empty or missing text is neutral."""
        polarity = self._analyzer.polarity_scores((text or "")[: self._config["max_chars"]])
        compound = round(float(polarity["compound"]), 4)
        return {
            "score": compound,
            "label": label_for(
                compound, self._config["positive_from"], self._config["negative_to"]
            ),
            "negative": round(float(polarity["neg"]), 4),
            "neutral": round(float(polarity["neu"]), 4),
            "positive": round(float(polarity["pos"]), 4),
        }

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            message.set(SENTIMENT, self.score(message.get(TEXT)), add_to_output=True)
        return messages

    def process_training_data(self, training_data: Any) -> Any:
        # Sentiment is not a training feature; nothing to add to training examples.
        return training_data
