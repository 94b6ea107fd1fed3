"""The baseline every model must beat: k-mer counts with ridge regression (scikit-learn)."""

from __future__ import annotations

import numpy as np
from scipy.stats import pearsonr, spearmanr
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import Ridge


def kmer_ridge(train_seqs, y_train, val_seqs, y_val, test_seqs, y_test, k: int = 6,
               alphas=(0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)) -> dict:
    """Counts of every k-mer for k = 1..``k`` (N is a character like any other), ridge with the alpha that
    maximises validation Pearson r; returns test Pearson, Spearman and the alpha."""
    vec = CountVectorizer(analyzer="char", ngram_range=(1, k), lowercase=False, dtype=np.float32)
    xtr = vec.fit_transform(train_seqs)
    xva, xte = vec.transform(val_seqs), vec.transform(test_seqs)
    best = max(alphas, key=lambda a: pearsonr(Ridge(alpha=a).fit(xtr, y_train).predict(xva), y_val)[0])
    pred = Ridge(alpha=best).fit(xtr, y_train).predict(xte)
    return {"pearson": float(pearsonr(pred, y_test)[0]), "spearman": float(spearmanr(pred, y_test)[0]),
            "alpha": best}
