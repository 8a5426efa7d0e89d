"""Step (e): evaluation with Ray Data, on the held-out (test) nodes, against a baseline that
predicts the training nodes' majority class for every node.

Ray Data counts (label, prediction) pairs with a group-by; accuracy and macro-F1 follow from
that confusion matrix.
"""

from __future__ import annotations

import numpy as np
import ray.data
from ray.data.expressions import col


def confusion(ds: ray.data.Dataset, classes: int) -> np.ndarray:
    counts = ds.groupby(["label", "prediction"]).count().to_pandas()
    m = np.zeros((classes, classes), dtype=np.int64)
    for label, prediction, n in counts[["label", "prediction", "count()"]].itertuples(index=False):
        m[int(label), int(prediction)] += int(n)
    return m


def scores(m: np.ndarray) -> dict[str, float]:
    """Accuracy and macro-F1 (the mean over classes of F1, 0 for a class never predicted)."""
    tp = np.diag(m).astype(np.float64)
    predicted, actual = m.sum(axis=0), m.sum(axis=1)
    denom = predicted + actual
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    present = actual > 0
    return {"accuracy": float(tp.sum() / m.sum()), "macro_f1": float(f1[present].mean())}


def evaluate(predictions: ray.data.Dataset, classes: int) -> dict:
    train = predictions.filter(expr=col("split") == "train")
    by_label = train.groupby("label").count().to_pandas()
    majority = int(by_label.sort_values(["count()", "label"], ascending=[False, True])["label"].iloc[0])

    out: dict = {"majority_class": majority}
    for split in ("val", "test"):
        m = confusion(predictions.filter(expr=col("split") == split), classes)
        baseline = np.zeros_like(m)
        baseline[:, majority] = m.sum(axis=1)
        out[split] = {"nodes": int(m.sum()), **scores(m), "baseline": scores(baseline)}
    return out
