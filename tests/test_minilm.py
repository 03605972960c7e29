"""The numpy all-MiniLM-L6-v2 encoder: its tokenizer, its embeddings and its Rasa featurizer."""

from unittest.mock import MagicMock

import numpy as np
import pytest
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.minilm import EMBEDDING_DIM, MiniLMEncoder, MiniLMFeaturizer, WordPieceTokenizer


@pytest.fixture(scope="module")
def encoder() -> MiniLMEncoder:
    return MiniLMEncoder()


def cos(encoder: MiniLMEncoder, a: str, b: str) -> float:
    x, y = encoder.encode([a, b])
    return float(x @ y)


# -- tokenizer -------------------------------------------------------------------------------


def test_words_missing_from_the_vocabulary_split_into_wordpieces(encoder: MiniLMEncoder) -> None:
    assert encoder.tokenize("unaffable") == ["[CLS]", "una", "##ffa", "##ble", "[SEP]"]
    assert encoder.tokenize("where is my parcel") == [
        "[CLS]", "where", "is", "my", "parcel", "[SEP]"
    ]  # fmt: skip


def test_text_is_lowercased_accents_stripped_and_punctuation_split(encoder: MiniLMEncoder) -> None:
    assert encoder.tokenize("Hello, WORLD! I'm here.")[1:-1] == [
        "hello", ",", "world", "!", "i", "'", "m", "here", "."
    ]  # fmt: skip
    assert encoder.tokenize("Héllo naïve café")[1:-1] == ["hello", "naive", "cafe"]
    # Every non-alphanumeric ASCII character counts as punctuation in BERT.
    assert encoder.tokenize("$5.00 10%-off")[1:-1] == ["$", "5", ".", "00", "10", "%", "-", "off"]


def test_cjk_characters_are_separate_tokens(encoder: MiniLMEncoder) -> None:
    tokens = encoder.tokenize("我的")[1:-1]
    assert tokens == ["我", "的"]


def test_unknown_and_overlong_words_become_unk(encoder: MiniLMEncoder) -> None:
    assert encoder.tokenize("🙂")[1:-1] == ["[UNK]"]
    assert encoder.tokenize("a" * 101)[1:-1] == ["[UNK]"]
    assert encoder.tokenize("hi " + "a" * 100)[1:-1] != ["hi", "[UNK]"]


def test_greedy_longest_match_with_a_toy_vocabulary() -> None:
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff",
                                         "##able", "##a", "a", "run", "##ning"])}  # fmt: skip
    tok = WordPieceTokenizer(vocab, max_length=8)
    assert tok.wordpiece("unaffable") == ["un", "##aff", "##able"]
    assert tok.wordpiece("running") == ["run", "##ning"]
    assert tok.wordpiece("unx") == ["[UNK]"]  # one unmatchable part makes the whole word UNK
    # [CLS] + at most 6 pieces + [SEP]
    assert tok.encode("run " * 20) == [2] + [9] * 6 + [3]


def test_empty_and_control_characters(encoder: MiniLMEncoder) -> None:
    assert encoder.tokenize("") == ["[CLS]", "[SEP]"]
    assert encoder.tokenize(" \t\n\x00 ") == ["[CLS]", "[SEP]"]


# -- embeddings ------------------------------------------------------------------------------


def test_paraphrases_are_closer_than_unrelated_sentences(encoder: MiniLMEncoder) -> None:
    paraphrase = cos(encoder, "where is my parcel", "track my package")
    unrelated = cos(encoder, "where is my parcel", "what's the weather in Paris")
    assert paraphrase > unrelated + 0.3


def test_published_similarities_of_all_minilm_l6_v2_are_reproduced(
    encoder: MiniLMEncoder,
) -> None:
    # Scores printed by the sentence-transformers documentation for this model.
    assert cos(encoder, "The new movie is awesome", "The new movie is so great") == pytest.approx(
        0.8939, abs=2e-3
    )
    assert cos(encoder, "The cat sits outside", "The dog plays in the garden") == pytest.approx(
        0.2838, abs=2e-3
    )
    assert cos(encoder, "I love pasta", "Do you like pizza?") == pytest.approx(0.5096, abs=2e-3)
    assert cos(
        encoder, "A man is eating food.", "A man is eating a piece of bread."
    ) == pytest.approx(0.7553, abs=2e-3)


def test_embeddings_are_unit_length_float32(encoder: MiniLMEncoder) -> None:
    vectors = encoder.encode(["hi", "where is my parcel", "I want a refund for order 123456"])
    assert vectors.shape == (3, EMBEDDING_DIM)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_padded_batch_equals_one_by_one(encoder: MiniLMEncoder) -> None:
    texts = [
        "hi",
        "where is my parcel",
        "I want to return the blue shoes I bought last week because they are too small",
        "",
        "ok " * 200,
    ]
    batch = encoder.encode(texts)
    single = np.vstack([encoder.encode([t]) for t in texts])
    assert np.abs(batch - single).max() < 1e-4
    # Order is kept although texts are batched by length internally.
    small_batches = encoder.encode(texts, batch_size=2)
    assert np.abs(small_batches - single).max() < 1e-4


def test_empty_and_very_long_texts(encoder: MiniLMEncoder) -> None:
    empty, blank = encoder.encode(["", "   "])
    np.testing.assert_allclose(empty, blank, atol=1e-6)
    assert np.linalg.norm(empty) == pytest.approx(1.0, abs=1e-5)
    assert encoder.encode([]).shape == (0, EMBEDDING_DIM)

    long_text = "my parcel has not arrived " * 400
    assert len(long_text) >= 10_000
    assert len(encoder.tokenize(long_text)) == 128
    [vector] = encoder.encode([long_text])
    assert np.isfinite(vector).all()
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    # Only the first 128 tokens count: what follows them changes nothing.
    [other] = encoder.encode([long_text + " weather in paris " * 50])
    np.testing.assert_allclose(vector, other, atol=1e-6)


# -- Rasa component --------------------------------------------------------------------------


def make_featurizer(**config: object) -> MiniLMFeaturizer:
    context = MagicMock()
    context.node_name = "minilm_featurizer"
    return MiniLMFeaturizer.create(
        {**MiniLMFeaturizer.get_default_config(), **config}, MagicMock(), MagicMock(), context
    )


def tokenized(*texts: str) -> list:
    tokenizer = WhitespaceTokenizer.create(
        WhitespaceTokenizer.get_default_config(), MagicMock(), MagicMock(), MagicMock()
    )
    return tokenizer.process([Message.build(text=t) for t in texts])


def test_the_component_adds_a_384_dim_sentence_feature(encoder: MiniLMEncoder) -> None:
    featurizer = make_featurizer()
    [message, empty] = featurizer.process(tokenized("where is my parcel", ""))
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence is None
    assert sentence is not None
    assert sentence.features.shape == (1, EMBEDDING_DIM)
    assert [(f.type, f.origin) for f in message.features] == [("sentence", "minilm_featurizer")]
    np.testing.assert_allclose(
        sentence.features[0], encoder.encode(["where is my parcel"])[0], atol=1e-5
    )
    # An empty message still gets a feature of the same width, so the classifier can run.
    assert empty.get_dense_features(TEXT)[1].features.shape == (1, EMBEDDING_DIM)


def test_the_component_featurizes_training_data_and_scales() -> None:
    featurizer = make_featurizer(batch_size=2, scale=10.0)
    examples = tokenized("hi", "track my package", "refund please")
    for example, intent in zip(examples, ["greet", "track", "refund"], strict=True):
        example.set("intent", intent)
    data = featurizer.process_training_data(TrainingData(examples))
    for example in data.training_examples:
        features = example.get_dense_features(TEXT)[1].features
        assert features.shape == (1, EMBEDDING_DIM)
        assert np.linalg.norm(features) == pytest.approx(10.0, abs=1e-3)


def test_the_component_rejects_bad_config() -> None:
    for bad in ({"batch_size": 0}, {"max_length": 1000}, {"scale": 0}, {"batch_size": "64"}):
        with pytest.raises(InvalidConfigException):
            make_featurizer(**bad)
