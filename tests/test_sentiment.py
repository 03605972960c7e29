"""The sentiment component adds a score and label to every message, in the parse output."""

from typing import Any, Dict

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.sentiment import SENTIMENT, SentimentAnalyzer, label_for


@pytest.fixture(scope="module")
def analyzer() -> SentimentAnalyzer:
    return SentimentAnalyzer(SentimentAnalyzer.get_default_config())


def sentiment_of(analyzer: SentimentAnalyzer, text: str) -> Dict[str, Any]:
    [message] = analyzer.process([Message.build(text=text)])
    return message.get(SENTIMENT)


def test_an_angry_message_is_negative(analyzer: SentimentAnalyzer) -> None:
    result = sentiment_of(analyzer, "This is useless, I'm really angry about this terrible service")
    assert result["label"] == "negative"
    assert result["score"] < -0.5
    assert result["negative"] > result["positive"]


def test_a_happy_message_is_positive(analyzer: SentimentAnalyzer) -> None:
    result = sentiment_of(analyzer, "Great, thanks a lot, that was really helpful!")
    assert result["label"] == "positive"
    assert result["score"] > 0.5


def test_a_plain_question_is_neutral(analyzer: SentimentAnalyzer) -> None:
    assert sentiment_of(analyzer, "where is order 482913")["label"] == "neutral"


def test_empty_and_non_latin_text_are_neutral(analyzer: SentimentAnalyzer) -> None:
    for text in ("", "   ", "我的订单在哪里"):
        result = sentiment_of(analyzer, text)
        assert (result["score"], result["label"]) == (0.0, "neutral")


def test_only_the_start_of_a_huge_message_is_scored(analyzer: SentimentAnalyzer) -> None:
    # Negative in its first 2,000 characters, overwhelmingly positive after them.
    huge = "terrible " * 5 + "plain words " * 200 + "wonderful amazing " * 500
    assert len(huge) > 10_000
    assert sentiment_of(analyzer, huge)["label"] == "negative"


def test_the_result_is_part_of_the_parse_output(analyzer: SentimentAnalyzer) -> None:
    [message] = analyzer.process([Message.build(text="you are awful")])
    output = message.as_dict(only_output_properties=True)
    assert output[SENTIMENT]["label"] == "negative"


def test_labels_follow_the_configured_cut_offs() -> None:
    assert label_for(0.05, 0.05, -0.05) == "positive"
    assert label_for(-0.05, 0.05, -0.05) == "negative"
    assert label_for(0.0, 0.05, -0.05) == "neutral"
    assert label_for(0.3, 0.5, -0.5) == "neutral"
