"""The pipeline as a Ray job: python -m gnn_pipeline.main [options]

(a) tables -> graph with Ray Data, (b) standardised features with Ray Data, (c) a PyG model
trained with Ray Train's TorchTrainer, (d) batch inference over every node with Ray Data,
(e) accuracy and macro-F1 on the held-out nodes against a majority-class baseline.

Progress lines start with [gnn-pipeline]; the last line is one JSON object with the metrics.
Predictions (one row per node) go to <output>/predictions.parquet, the metrics to
<output>/metrics.json and the weights to <output>/model.npz; <output> may be a gs:// URI.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.fs
import pyarrow.parquet as pq
import ray

from gnn_pipeline import evaluate, graph as graphs, infer, synthetic, train

# Installed by Ray on the nodes that run the job's tasks when the driver's image lacks them
# (--pip auto): the rayproject/ray images have no PyTorch. Baking them into the team's image
# (`image` in the team file) saves the install at every new node.
CLUSTER_PIP = ["torch==2.5.1", "torch-geometric==2.6.1"]
BUCKET_MOUNT = "/mnt/bucket"  # the team bucket on every Ray pod, when the team file has bucket: true


def log(msg: str) -> None:
    print(f"[gnn-pipeline] {msg}", flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m gnn_pipeline.main", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data = p.add_argument_group("input")
    data.add_argument("--input", help="a directory or gs:// URI with nodes/ and edges/ Parquet tables (gnn_pipeline/graph.py says their columns); without it, a synthetic graph")
    data.add_argument("--nodes", type=int, default=3000, help="synthetic graph: nodes (default 3000)")
    data.add_argument("--classes", type=int, default=4, help="synthetic graph: classes (default 4)")
    data.add_argument("--features", type=int, default=16, help="synthetic graph: features per node (default 16)")
    data.add_argument("--seed", type=int, default=0, help="synthetic graph and initial weights (default 0)")
    t = p.add_argument_group("training")
    t.add_argument("--model", choices=["sage", "gcn"], default="sage", help="GraphSAGE (default) or GCN")
    t.add_argument("--hidden", type=int, default=64)
    t.add_argument("--dropout", type=float, default=0.5)
    t.add_argument("--epochs", type=int, default=200)
    t.add_argument("--lr", type=float, default=0.01)
    t.add_argument("--workers", type=int, default=2, help="Ray Train workers, and inference actors (default 2)")
    t.add_argument("--gpu", choices=["auto", "yes", "no"], default="auto", help="one GPU per worker and actor: auto uses GPUs when the cluster has any (default)")
    t.add_argument("--train-storage", help="Ray Train's storage_path (run metadata; no checkpoints are written); default Ray's")
    o = p.add_argument_group("output")
    o.add_argument("--output", help=f"a directory or gs:// URI; default {BUCKET_MOUNT}/gnn-pipeline/<time> when the team bucket is mounted, else ./gnn-output")
    o.add_argument("--batch-size", type=int, default=512, help="nodes per inference batch (default 512)")
    o.add_argument("--pip", choices=["auto", "yes", "no"], default="auto", help=f"install {' '.join(CLUSTER_PIP)} through Ray's runtime_env: auto does when the driver cannot import them (default)")
    return p.parse_args(argv)


def importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def runtime_env(pip: str) -> dict:
    # The package itself reaches every worker, whether or not the job has a working directory.
    env: dict = {"py_modules": [os.path.dirname(os.path.abspath(__file__))]}
    missing = [m for m in ("torch", "torch_geometric") if not importable(m)]
    if pip == "yes" or (pip == "auto" and missing):
        env["pip"] = list(CLUSTER_PIP)
        log(f"runtime_env: Ray pip-installs {' '.join(CLUSTER_PIP)} on the nodes that run this job's tasks"
            + (f" (the driver cannot import {', '.join(missing)})" if missing else ""))
    return env


def default_output() -> str:
    if os.path.isdir(BUCKET_MOUNT):
        return f"{BUCKET_MOUNT}/gnn-pipeline/{time.strftime('%Y%m%d-%H%M%S')}"
    return os.path.abspath("gnn-output")


def open_output(output: str) -> tuple[pyarrow.fs.FileSystem, str]:
    if "://" in output:
        return pyarrow.fs.FileSystem.from_uri(output)
    return pyarrow.fs.LocalFileSystem(), os.path.abspath(output)


def write_outputs(output: str, predictions: pd.DataFrame, metrics: dict, state: dict) -> None:
    fs, base = open_output(output)
    fs.create_dir(base, recursive=True)
    pq.write_table(pa.Table.from_pandas(predictions, preserve_index=False), f"{base}/predictions.parquet", filesystem=fs)
    with fs.open_output_stream(f"{base}/metrics.json") as f:
        f.write(json.dumps(metrics, indent=2).encode())
    buf = io.BytesIO()
    np.savez(buf, **state)
    with fs.open_output_stream(f"{base}/model.npz") as f:
        f.write(buf.getvalue())


def run(args: argparse.Namespace) -> dict:
    started = time.monotonic()
    seconds: dict[str, float] = {}

    def step(name: str, t0: float) -> None:
        seconds[name] = round(time.monotonic() - t0, 2)

    ray.init(runtime_env=runtime_env(args.pip))
    ray.data.DataContext.get_current().enable_progress_bars = False
    gpus = ray.cluster_resources().get("GPU", 0)
    use_gpu = args.gpu == "yes" or (args.gpu == "auto" and gpus > 0)
    if use_gpu and gpus < args.workers:
        log(f"{args.workers} workers with a GPU each, {gpus:g} GPU(s) up now: training waits for the autoscaler")
    if args.gpu == "auto" and not use_gpu:
        log("no GPU in the cluster now: training on CPU (--gpu yes waits for GPU workers an autoscaler adds)")

    # (a) and (b)
    t0 = time.monotonic()
    if args.input:
        log(f"reading {args.input}/nodes and {args.input}/edges")
        nodes, edges = graphs.read_tables(args.input)
        source = args.input
    else:
        log(f"synthetic graph: {args.nodes} nodes, {args.classes} classes, {args.features} features, seed {args.seed}")
        nodes, edges = graphs.tables_from_pandas(*synthetic.sbm_tables(args.nodes, args.classes, args.features, args.seed))
        source = "synthetic"
    g = graphs.build_graph(nodes, edges)
    step("graph", t0)
    log(f"graph: {g.x.shape[0]} nodes, {g.edge_index.shape[1] // 2} undirected edges, {g.x.shape[1]} standardised features"
        + (f", {g.dropped_edges // 2} edges dropped (an endpoint is not in the node table)" if g.dropped_edges else ""))
    graph_ref = ray.put(g.as_arrays())
    model_config = {"model": args.model, "in_channels": g.x.shape[1], "hidden": args.hidden, "classes": g.num_classes, "dropout": args.dropout}

    # (c)
    t0 = time.monotonic()
    log(f"training {args.model} with {args.workers} Ray Train worker(s) on {'GPU' if use_gpu else 'CPU'}, {args.epochs} epochs")
    state, trained = train.fit(graph_ref, model_config, workers=args.workers, use_gpu=use_gpu, epochs=args.epochs, lr=args.lr, seed=args.seed, storage=args.train_storage)
    step("train", t0)
    log(f"trained: best validation accuracy {trained['val_accuracy']:.3f} at epoch {trained['epoch']}")

    # (d)
    t0 = time.monotonic()
    rows = pd.DataFrame({"node_id": g.node_ids, "row": np.arange(g.node_ids.size), "label": g.y, "split": g.split})
    predictions = infer.predict_all(rows, graph_ref, state, model_config, actors=args.workers, use_gpu=use_gpu, batch_size=args.batch_size)
    step("inference", t0)

    # (e)
    t0 = time.monotonic()
    ev = evaluate.evaluate(predictions, g.num_classes)
    step("evaluation", t0)

    t0 = time.monotonic()
    table = predictions.to_pandas().sort_values("node_id", kind="stable").drop(columns=["row"]).reset_index(drop=True)
    output = args.output or default_output()
    result = {
        "source": source,
        "nodes": int(g.x.shape[0]),
        "edges": int(g.edge_index.shape[1] // 2),
        "features": int(g.x.shape[1]),
        "classes": g.num_classes,
        "model": args.model,
        "workers": args.workers,
        "use_gpu": use_gpu,
        "device": trained["device"],
        "best_epoch": trained["epoch"],
        "train_val_accuracy": round(trained["val_accuracy"], 4),
        "test_accuracy": round(ev["test"]["accuracy"], 4),
        "test_macro_f1": round(ev["test"]["macro_f1"], 4),
        "baseline_accuracy": round(ev["test"]["baseline"]["accuracy"], 4),
        "baseline_macro_f1": round(ev["test"]["baseline"]["macro_f1"], 4),
        "val_accuracy": round(ev["val"]["accuracy"], 4),
        "test_nodes": ev["test"]["nodes"],
        "majority_class": ev["majority_class"],
        "predicted_nodes": int(len(table)),
        "predictions": f"{output.rstrip('/')}/predictions.parquet",
    }
    write_outputs(output, table, {**result, "evaluation": ev}, state)
    step("write", t0)
    seconds["total"] = round(time.monotonic() - started, 2)
    result["seconds"] = seconds
    log(f"test accuracy {result['test_accuracy']:.3f} (majority class: {result['baseline_accuracy']:.3f}), "
        f"macro-F1 {result['test_macro_f1']:.3f} (majority class: {result['baseline_macro_f1']:.3f}); "
        f"{result['predicted_nodes']} predictions in {result['predictions']}")
    return result


def main(argv: list[str] | None = None) -> None:
    result = run(parse(argv))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
