"""The PyG model. Imported only in code Ray runs (training workers, inference actors): the
driver's image need not have torch."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch_geometric.nn import GCNConv, SAGEConv

MODELS = ("sage", "gcn")


class GNN(torch.nn.Module):
    """Two graph convolutions (GraphSAGE's mean aggregation, or GCN) with ReLU and dropout."""

    def __init__(self, kind: str, in_channels: int, hidden: int, classes: int, dropout: float = 0.5):
        super().__init__()
        if kind not in MODELS:
            raise ValueError(f"model {kind!r} is not one of {', '.join(MODELS)}")
        conv = SAGEConv if kind == "sage" else GCNConv
        self.conv1 = conv(in_channels, hidden)
        self.conv2 = conv(hidden, classes)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.conv1(x, edge_index))
        h = F.dropout(h, p=self.dropout, training=self.training)
        return self.conv2(h, edge_index)


def hops_for_exact_output(kind: str) -> int:
    """Hops of neighbourhood that give a node exactly its full-graph output: one per layer, and
    one more for GCN, whose normalisation needs the degree of the farthest nodes."""
    return 2 if kind == "sage" else 3


def build(config: dict) -> GNN:
    return GNN(config["model"], config["in_channels"], config["hidden"], config["classes"], config["dropout"])
