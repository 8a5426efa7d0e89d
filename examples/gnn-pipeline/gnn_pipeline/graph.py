"""Steps (a) and (b): the graph from tables, with Ray Data, and its standardised features.

Input tables (Parquet, or the synthetic ones): `nodes` with node_id, label, split
(train/val/test) and numeric feature columns (every other column); `edges` with src, dst.
Ray Data makes the edges undirected, drops self-loops, duplicates (a group-by on the pair) and
edges to nodes the node table lacks, counts each node's degree (a group-by on src) and adds log(1 + degree) as a feature; a
StandardScaler fitted on the training nodes only standardises every feature.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import ray
import ray.data
from ray.data.expressions import col
from ray.data.preprocessors import StandardScaler

NODE_KEYS = ("node_id", "label", "split")
SPLITS = ("train", "val", "test")


def read_tables(input_path: str) -> tuple[ray.data.Dataset, ray.data.Dataset]:
    """`<input>/nodes` and `<input>/edges`, Parquet, local or gs:// (the team bucket)."""
    base = input_path.rstrip("/")
    return ray.data.read_parquet(f"{base}/nodes"), ray.data.read_parquet(f"{base}/edges")


def chunks(table: pd.DataFrame, n: int) -> list[pd.DataFrame]:
    bounds = np.linspace(0, len(table), min(n, len(table)) + 1).astype(int)
    return [table.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def tables_from_pandas(nodes: pd.DataFrame, edges: pd.DataFrame, blocks: int = 4) -> tuple[ray.data.Dataset, ray.data.Dataset]:
    """In-memory tables (the synthetic ones) as Ray Datasets, in a few blocks so work spreads."""
    return ray.data.from_pandas(chunks(nodes, blocks)), ray.data.from_pandas(chunks(edges, blocks))


def _undirected(batch: pd.DataFrame) -> pd.DataFrame:
    both = pd.DataFrame(
        {
            "src": np.concatenate([batch["src"].to_numpy(), batch["dst"].to_numpy()]),
            "dst": np.concatenate([batch["dst"].to_numpy(), batch["src"].to_numpy()]),
        }
    )
    return both[both["src"] != both["dst"]]


def _known_endpoints(batch: pd.DataFrame, node_ids: np.ndarray) -> pd.DataFrame:
    return batch[np.isin(batch["src"].to_numpy(), node_ids) & np.isin(batch["dst"].to_numpy(), node_ids)]


def _add_log_degree(batch: pd.DataFrame, degree: pd.Series) -> pd.DataFrame:
    d = batch["node_id"].map(degree).fillna(0).to_numpy(dtype=np.float64)
    return batch.assign(log_degree=np.log1p(d).astype(np.float32))


@dataclass
class Graph:
    """The graph as arrays, nodes in node_id order (row i is node_ids[i])."""

    node_ids: np.ndarray  # (N,) int64
    x: np.ndarray  # (N, F) float32, standardised
    y: np.ndarray  # (N,) int64
    split: np.ndarray  # (N,) str
    edge_index: np.ndarray  # (2, E) int64 row indices, both directions
    feature_columns: list[str]
    dropped_edges: int  # directed pairs (an undirected edge is two) with an endpoint not in the node table

    @property
    def num_classes(self) -> int:
        return int(self.y.max()) + 1

    def mask(self, split: str) -> np.ndarray:
        return self.split == split

    def as_arrays(self) -> dict[str, np.ndarray]:
        """What training and inference need, for the object store."""
        return {"x": self.x, "y": self.y, "edge_index": self.edge_index, "split": self.split}


def build_graph(nodes: ray.data.Dataset, edges: ray.data.Dataset) -> Graph:
    missing = [c for c in NODE_KEYS if c not in nodes.columns()]
    if missing or not {"src", "dst"} <= set(edges.columns()):
        raise ValueError(
            f"the node table needs {', '.join(NODE_KEYS)} (missing: {', '.join(missing) or 'none'}) "
            f"and the edge table src, dst (it has {', '.join(edges.columns())})"
        )
    # (a) the graph: undirected, without self-loops, duplicates or edges to unknown nodes, and
    # each node's degree in it.
    node_ids = np.sort(nodes.select_columns(["node_id"]).to_pandas()["node_id"].to_numpy(dtype=np.int64))
    if np.unique(node_ids).size != node_ids.size:
        raise ValueError("the node table has duplicate node_id values")
    pairs = edges.select_columns(["src", "dst"]).map_batches(_undirected, batch_format="pandas")
    unique = pairs.groupby(["src", "dst"]).count().select_columns(["src", "dst"]).materialize()
    known = unique.map_batches(_known_endpoints, fn_kwargs={"node_ids": node_ids}, batch_format="pandas").materialize()
    dropped = unique.count() - known.count()
    degree = known.groupby("src").count().to_pandas()
    degree = pd.Series(degree["count()"].to_numpy(), index=degree["src"].to_numpy())

    feature_columns = [c for c in nodes.columns() if c not in NODE_KEYS] + ["log_degree"]
    nodes = nodes.map_batches(_add_log_degree, fn_kwargs={"degree": degree}, batch_format="pandas")

    # (b) standardise every feature with the training nodes' mean and deviation.
    scaler = StandardScaler(columns=feature_columns)
    scaler.fit(nodes.filter(expr=col("split") == "train"))
    table = scaler.transform(nodes).to_pandas().sort_values("node_id", kind="stable").reset_index(drop=True)

    if not np.array_equal(table["node_id"].to_numpy(dtype=np.int64), node_ids):
        raise RuntimeError("the node table changed while the graph was built")
    bad_splits = sorted(set(table["split"].unique()) - set(SPLITS))
    if bad_splits:
        raise ValueError(f"split values must be {', '.join(SPLITS)}; the node table also has {bad_splits}")
    e = known.to_pandas()
    src = np.searchsorted(node_ids, e["src"].to_numpy())
    dst = np.searchsorted(node_ids, e["dst"].to_numpy())
    order = np.lexsort((dst, src))  # the group-by's order varies from run to run
    return Graph(
        node_ids=node_ids,
        x=table[feature_columns].to_numpy(dtype=np.float32),
        y=table["label"].to_numpy(dtype=np.int64),
        split=table["split"].to_numpy(dtype=str),
        edge_index=np.stack([src[order], dst[order]]).astype(np.int64),
        feature_columns=feature_columns,
        dropped_edges=int(dropped),
    )
