"""`python -m bench.fallback_threshold`: what each FallbackClassifier threshold would cost and
catch, by 5-fold cross-validation on our NLU data.

It rebuilds config.yml's classifier in scikit-learn (word counts + char_wb 1-4 counts + MiniLM
embeddings times 10, logistic regression), which is what Rasa's components wrap, so a sweep
takes a minute, not a retrain per threshold. "lost" are right answers turned into "I didn't
catch that"; "caught" are wrong answers (and junk lines) turned into it instead of a wrong
reply.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import List, Tuple

import numpy as np
import yaml
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import FunctionTransformer

from bot.minilm import MiniLMEncoder

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)")
# Lines no intent fits: what customers type when testing, hesitating or fat-fingering.
JUNK = ["abc", "hmm", "xyz", "qwerty", "lol", "blah", "test", "asdf jkl", "banana", "the",
        "what", "okay so", "purple monkey dishwasher", "1", "?", "...", "k", "idk", "meh", "yo yo"]


def examples() -> Tuple[List[str], np.ndarray]:
    texts, intents = [], []
    for path in sorted((PROJECT_ROOT / "bot" / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text()).get("nlu", []):
            if "intent" not in block:
                continue
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    texts.append(ANNOTATION.sub(r"\1", line.strip()[2:]))
                    intents.append(block["intent"])
    return texts, np.array(intents)


_ENCODER = MiniLMEncoder()
# config.yml multiplies the unit-length embedding by this (MiniLMFeaturizer's `scale`).
EMBEDDING_SCALE = 10.0


def _embed(texts: List[str]) -> np.ndarray:
    return _ENCODER.encode(list(texts)) * EMBEDDING_SCALE


def classifier():
    features = make_union(CountVectorizer(token_pattern=r"(?u)\b\w+\b"),
                          CountVectorizer(analyzer="char_wb", ngram_range=(1, 4)),
                          FunctionTransformer(_embed))
    return make_pipeline(features, LogisticRegression(max_iter=300))


def main() -> None:
    texts, intents = examples()
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    probabilities = cross_val_predict(classifier(), texts, intents, cv=folds,
                                      method="predict_proba")
    classes = np.unique(intents)
    right = classes[probabilities.argmax(1)] == intents
    confidence = probabilities.max(1)
    junk_confidence = classifier().fit(texts, intents).predict_proba(JUNK).max(1)
    print(f"{len(texts)} examples, {len(classes)} intents, accuracy {right.mean():.3f}")
    print("threshold  right answers lost  wrong answers caught  junk caught")
    for threshold in np.arange(0.2, 0.61, 0.05):
        lost = (right & (confidence < threshold)).sum() / right.sum()
        caught = (~right & (confidence < threshold)).sum() / max(1, (~right).sum())
        junk = (junk_confidence < threshold).mean()
        print(f"{threshold:9.2f}  {lost:18.1%}  {caught:20.1%}  {junk:11.0%}")


if __name__ == "__main__":
    main()
