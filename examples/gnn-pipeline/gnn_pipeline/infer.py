"""Step (d): batch inference over every node with Ray Data.

`map_batches` sends batches of node rows to a pool of actors (one GPU each on a GPU cluster).
Each actor holds the graph and the trained model, and for a batch computes the model's output
on the batch's k-hop neighbourhood only (`k_hop_subgraph`, with k large enough that the output
is exactly the full-graph one), as a graph too big for one device would need.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import ray
import ray.data


class GNNPredictor:
    def __init__(self, graph, state: dict[str, np.ndarray], model_config: dict, use_gpu: bool):
        import torch

        from gnn_pipeline import model as gnn_model

        if isinstance(graph, ray.ObjectRef):
            graph = ray.get(graph)
        self.torch = torch
        self.device = torch.device("cuda" if use_gpu else "cpu")
        self.model = gnn_model.build(model_config)
        self.model.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
        self.model.to(self.device).eval()
        self.hops = gnn_model.hops_for_exact_output(model_config["model"])
        self.x = torch.tensor(graph["x"])  # copies: arrays from the object store are read-only
        self.edge_index = torch.tensor(graph["edge_index"])

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        torch = self.torch
        from torch_geometric.utils import k_hop_subgraph

        rows = torch.from_numpy(batch["row"].to_numpy(dtype=np.int64))
        subset, sub_edges, mapping, _ = k_hop_subgraph(rows, self.hops, self.edge_index, relabel_nodes=True, num_nodes=self.x.size(0))
        with torch.no_grad():
            out = self.model(self.x[subset].to(self.device), sub_edges.to(self.device))[mapping]
            prob = torch.softmax(out, dim=1).cpu()
        confidence, prediction = prob.max(dim=1)
        return batch.assign(prediction=prediction.numpy().astype(np.int64), confidence=confidence.numpy().astype(np.float32))


def predict_all(nodes: pd.DataFrame, graph_ref: ray.ObjectRef, state: dict, model_config: dict, *, actors: int, use_gpu: bool, batch_size: int) -> ray.data.Dataset:
    """Predictions for every row of `nodes` (node_id, row, label, split), materialised."""
    from gnn_pipeline.graph import chunks

    ds = ray.data.from_pandas(chunks(nodes, max(actors * 2, -(-len(nodes) // batch_size))))
    resources = {"num_gpus": 1} if use_gpu else {"num_cpus": 1}
    return ds.map_batches(
        GNNPredictor,
        fn_constructor_kwargs={"graph": graph_ref, "state": state, "model_config": model_config, "use_gpu": use_gpu},
        batch_size=batch_size,
        batch_format="pandas",
        compute=ray.data.ActorPoolStrategy(size=actors),
        **resources,
    ).materialize()
