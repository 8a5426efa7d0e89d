"""Step (c): the PyG model trained with Ray Train's TorchTrainer, data-parallel.

Every worker holds the whole graph (from the object store) and the same model, wrapped in
DistributedDataParallel by `prepare_model`; each computes the loss on its own share of the
training nodes, and DDP averages the gradients. With `use_gpu` each worker has one GPU (the
platform's GPU placement puts it on a GPU node). Rank 0 keeps the weights of the epoch with
the best validation accuracy and hands them to a small actor the driver made, so batch
inference needs no shared storage between the cluster's nodes.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import ray
from ray.train import RunConfig, ScalingConfig


@ray.remote(num_cpus=0)
class WeightsSink:
    """Where rank 0 leaves the trained weights for the driver."""

    def __init__(self) -> None:
        self.state: dict[str, np.ndarray] | None = None
        self.info: dict[str, Any] = {}

    def put(self, state: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        self.state, self.info = state, info

    def get(self) -> tuple[dict[str, np.ndarray] | None, dict[str, Any]]:
        return self.state, self.info


def train_loop(config: dict) -> None:
    import torch
    import torch.nn.functional as F
    import ray.train
    import ray.train.torch

    from gnn_pipeline import model as gnn_model

    arrays = config["graph"]
    if isinstance(arrays, ray.ObjectRef):
        arrays = ray.get(arrays)
    ctx = ray.train.get_context()
    rank, world = ctx.get_world_rank(), ctx.get_world_size()
    torch.manual_seed(config["seed"])  # the same initial weights on every worker
    device = ray.train.torch.get_device()

    model = ray.train.torch.prepare_model(gnn_model.build(config))
    plain = model.module if hasattr(model, "module") else model
    x = torch.tensor(arrays["x"]).to(device)
    y = torch.tensor(arrays["y"]).to(device)
    edge_index = torch.tensor(arrays["edge_index"]).to(device)
    train_idx = torch.from_numpy(np.flatnonzero(arrays["split"] == "train")).to(device)
    val_idx = torch.from_numpy(np.flatnonzero(arrays["split"] == "val")).to(device)
    mine = train_idx[rank::world]

    opt = torch.optim.Adam(model.parameters(), lr=config["lr"], weight_decay=config["weight_decay"])
    best = {"val_accuracy": -1.0, "epoch": -1}
    best_state = None
    started = time.monotonic()
    for epoch in range(1, config["epochs"] + 1):
        model.train()
        opt.zero_grad()
        loss = F.cross_entropy(model(x, edge_index)[mine], y[mine])
        loss.backward()
        opt.step()
        if epoch % config["report_every"] == 0 or epoch == config["epochs"]:
            model.eval()
            with torch.no_grad():
                pred = plain(x, edge_index).argmax(dim=1)
            val_accuracy = (pred[val_idx] == y[val_idx]).float().mean().item()
            if val_accuracy > best["val_accuracy"]:
                best = {"val_accuracy": val_accuracy, "epoch": epoch}
                best_state = {k: v.detach().cpu().numpy().copy() for k, v in plain.state_dict().items()}
            ray.train.report({"epoch": epoch, "loss": loss.item(), "val_accuracy": val_accuracy, "best_val_accuracy": best["val_accuracy"]})
    if rank == 0:
        info = {**best, "seconds": time.monotonic() - started, "device": str(device), "workers": world}
        ray.get(config["sink"].put.remote(best_state, info))


def fit(graph_ref: ray.ObjectRef, model_config: dict, *, workers: int, use_gpu: bool, epochs: int, lr: float, seed: int, storage: str | None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Trains; returns the best weights (numpy, by parameter name) and what training reports."""
    sink = WeightsSink.remote()
    config = {
        **model_config,
        "graph": graph_ref,
        "sink": sink,
        "epochs": epochs,
        "lr": lr,
        "weight_decay": 5e-4,
        "seed": seed,
        "report_every": max(1, epochs // 20),
    }
    last = ray.get(_fit.remote(config, workers, use_gpu, storage))
    state, info = ray.get(sink.get.remote())
    if state is None:
        raise RuntimeError(f"training ended without weights (last metrics: {last})")
    return state, {**info, "last": last}


@ray.remote(num_cpus=0)
def _fit(config: dict, workers: int, use_gpu: bool, storage: str | None) -> dict:
    """The trainer runs in a task, not in the driver: ray.train.torch imports torch, which the
    driver's image (rayproject/ray) lacks and the job's runtime_env gives only to what Ray runs."""
    from ray.train.torch import TorchTrainer

    trainer = TorchTrainer(
        train_loop,
        train_loop_config=config,
        scaling_config=ScalingConfig(num_workers=workers, use_gpu=use_gpu),
        run_config=RunConfig(name="gnn-pipeline", storage_path=storage),
    )
    return trainer.fit().metrics
