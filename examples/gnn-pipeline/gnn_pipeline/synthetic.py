"""A deterministic synthetic graph in the tables a warehouse would hold: a stochastic block model.

`nodes`: node_id (sparse ids, as in a warehouse), label (its block), split (train/val/test) and
feature columns f0..f{F-1}, each on its own scale and offset (so standardising matters).
`edges`: src, dst (node ids), directed as stored, with self-loops and duplicates, as raw tables have.

Labels are imbalanced (shares proportional to C, C-1, ..., 1), so a majority-class baseline is
not trivial to beat by accident. Features alone separate the classes weakly; edges are
homophilous (most of a node's edges stay in its block), so a model that aggregates neighbours
does clearly better: that is what the evaluation shows.

    python -m gnn_pipeline.synthetic --nodes 3000 --out DIR   writes DIR/nodes and DIR/edges (Parquet),
                                                              the layout --input reads
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import pandas as pd

SPLIT_SHARES = {"train": 0.6, "val": 0.2, "test": 0.2}


def class_shares(classes: int) -> np.ndarray:
    weights = np.arange(classes, 0, -1, dtype=np.float64)
    return weights / weights.sum()


def sbm_tables(
    nodes: int,
    classes: int = 4,
    features: int = 16,
    seed: int = 0,
    degree_in: float = 3.0,
    degree_out: float = 3.0,
    separation: float = 0.25,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The node and edge tables; the same arguments give the same tables.

    degree_in / degree_out: expected edges a node draws inside / outside its block (before the
    graph is made undirected, which about doubles a node's degree).
    separation: how far apart the classes' feature means are, in units of the feature noise.
    """
    if nodes < classes * 10:
        raise ValueError(f"--nodes {nodes} is too small for {classes} classes (at least {classes * 10})")
    rng = np.random.default_rng(seed)
    labels = rng.choice(classes, size=nodes, p=class_shares(classes))
    split = rng.choice(list(SPLIT_SHARES), size=nodes, p=list(SPLIT_SHARES.values()))

    means = rng.normal(0.0, separation, size=(classes, features))
    x = means[labels] + rng.normal(0.0, 1.0, size=(nodes, features))
    scales = 10.0 ** rng.uniform(-1.0, 2.0, size=features)
    offsets = rng.uniform(-50.0, 50.0, size=features)
    x = x * scales + offsets

    # Edges inside each block, then edges to anyone (mostly other blocks).
    src_parts, dst_parts = [], []
    for c in range(classes):
        members = np.flatnonzero(labels == c)
        k = rng.poisson(degree_in, size=members.size)
        src_parts.append(np.repeat(members, k))
        dst_parts.append(rng.choice(members, size=int(k.sum())))
    k = rng.poisson(degree_out, size=nodes)
    src_parts.append(np.repeat(np.arange(nodes), k))
    dst_parts.append(rng.integers(0, nodes, size=int(k.sum())))
    src = np.concatenate(src_parts)
    dst = np.concatenate(dst_parts)
    order = rng.permutation(src.size)

    node_ids = 1_000_000 + 7 * np.arange(nodes, dtype=np.int64)  # sparse, not row numbers
    node_table = pd.DataFrame({"node_id": node_ids, "label": labels.astype(np.int64), "split": split})
    for j in range(features):
        node_table[f"f{j}"] = x[:, j].astype(np.float32)
    edge_table = pd.DataFrame({"src": node_ids[src[order]], "dst": node_ids[dst[order]]})
    return node_table, edge_table


def write_tables(out: str, node_table: pd.DataFrame, edge_table: pd.DataFrame) -> None:
    for name, table in (("nodes", node_table), ("edges", edge_table)):
        os.makedirs(os.path.join(out, name), exist_ok=True)
        table.to_parquet(os.path.join(out, name, "part-0.parquet"), index=False)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nodes", type=int, default=3000)
    p.add_argument("--classes", type=int, default=4)
    p.add_argument("--features", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="a directory: nodes/ and edges/ are written in it")
    a = p.parse_args()
    nodes, edges = sbm_tables(a.nodes, a.classes, a.features, a.seed)
    write_tables(a.out, nodes, edges)
    print(f"{len(nodes)} nodes and {len(edges)} edges written to {a.out}/nodes and {a.out}/edges")


if __name__ == "__main__":
    main()
