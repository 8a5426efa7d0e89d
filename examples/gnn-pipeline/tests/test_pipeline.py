"""The GNN pipeline end to end on a real local Ray, on CPU (run by ../test.sh, which starts a Ray
head in a network namespace of its own and sets RAY_ADDRESS and GNN_DASHBOARD).

The pipeline is submitted as a Ray job with its working directory, as `rayctl job submit`'s
RayJob runs it on the platform, from a driver that cannot import torch (the platform's images
have none; tests/driver_without_torch.py), and must beat a majority-class baseline clearly and
predict every node.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_DIR = os.path.dirname(HERE)
sys.path.insert(0, PACKAGE_DIR)

from gnn_pipeline import synthetic  # noqa: E402

NODES = 3000


def _need_ray() -> str:
    if not os.environ.get("RAY_ADDRESS") or not os.environ.get("GNN_DASHBOARD"):
        pytest.fail("run these tests with examples/gnn-pipeline/test.sh: it starts the local Ray head they use", pytrace=False)
    return os.environ["GNN_DASHBOARD"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    dashboard = _need_ray()
    out = tmp_path_factory.mktemp("gnn-output")
    cmd = [
        sys.executable, "-m", "ray.scripts.scripts", "job", "submit", "--address", dashboard,
        "--working-dir", PACKAGE_DIR, "--",
        # python -m gnn_pipeline.main in a driver that cannot import torch, as on the platform.
        "python", "tests/driver_without_torch.py", "--nodes", str(NODES),
        "--gpu", "no", "--output", str(out), "--train-storage", str(tmp_path_factory.mktemp("ray-train")),
    ]
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    took = time.monotonic() - started
    log = proc.stdout + proc.stderr
    with open(out / "job.log", "w") as f:
        f.write(log)
    assert proc.returncode == 0, f"the job failed ({proc.returncode}):\n{log[-6000:]}"
    lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
    assert lines, f"no JSON line in the job's output:\n{log[-6000:]}"
    result = json.loads(lines[-1])
    print(f"\npipeline job: {took:.0f} s; {json.dumps(result)}")
    # Without torch in the driver, --pip auto declared it in the runtime_env (Ray found the
    # test environment's torch 2.5.1 already installed in the virtualenv it made: no index).
    assert "runtime_env: Ray pip-installs torch==2.5.1 torch-geometric==2.6.1" in proc.stdout, log[-6000:]
    return result, out


def test_the_model_beats_the_majority_class_clearly(run):
    r, _ = run
    assert r["nodes"] == NODES and r["classes"] == 4 and r["use_gpu"] is False and r["workers"] == 2
    assert r["test_nodes"] > 400
    # The majority class gets about 0.4 of the test nodes right and a macro-F1 near 0.14.
    assert r["baseline_accuracy"] < 0.45 and r["baseline_macro_f1"] < 0.2
    assert r["test_accuracy"] >= r["baseline_accuracy"] + 0.3, r
    assert r["test_macro_f1"] >= r["baseline_macro_f1"] + 0.5, r


def test_batch_inference_gives_exactly_the_trained_models_output(run):
    # Inference runs on each batch's 2-hop neighbourhood only; the validation accuracy it gives
    # is the one training measured on the full graph for the weights it kept.
    r, _ = run
    assert abs(r["val_accuracy"] - r["train_val_accuracy"]) < 1e-3, r


def test_a_prediction_for_every_node(run):
    r, out = run
    assert r["predicted_nodes"] == NODES and r["predictions"] == f"{out}/predictions.parquet"
    p = pd.read_parquet(out / "predictions.parquet")
    nodes, _ = synthetic.sbm_tables(NODES)
    assert len(p) == NODES
    assert np.array_equal(np.sort(p["node_id"].to_numpy()), np.sort(nodes["node_id"].to_numpy()))
    assert p["prediction"].between(0, 3).all() and p["confidence"].between(0.25, 1.0).all()
    # The file's predictions give the reported accuracy.
    test = p[p["split"] == "test"]
    assert len(test) == r["test_nodes"]
    assert abs((test["prediction"] == test["label"]).mean() - r["test_accuracy"]) < 1e-3
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] == r["test_accuracy"] and set(metrics["evaluation"]) == {"majority_class", "val", "test"}
    weights = np.load(out / "model.npz")
    assert any(k.startswith("conv1") for k in weights.files)


def test_the_synthetic_tables_are_deterministic_and_raw():
    a_nodes, a_edges = synthetic.sbm_tables(500, seed=3)
    b_nodes, b_edges = synthetic.sbm_tables(500, seed=3)
    pd.testing.assert_frame_equal(a_nodes, b_nodes)
    pd.testing.assert_frame_equal(a_edges, b_edges)
    assert not synthetic.sbm_tables(500, seed=4)[0].equals(a_nodes)
    # Raw, as tables are: self-loops and duplicate pairs for the graph step to remove.
    assert (a_edges["src"] == a_edges["dst"]).any()
    assert a_edges.duplicated().any()
    assert sorted(a_nodes["split"].unique()) == ["test", "train", "val"]


def test_tables_read_from_parquet_give_the_same_graph(tmp_path):
    """--input (a team bucket's gs:// path in production) reads the same tables from Parquet."""
    import ray

    from gnn_pipeline import graph as graphs

    _need_ray()
    nodes, edges = synthetic.sbm_tables(400, seed=1)
    synthetic.write_tables(str(tmp_path), nodes, edges)
    # Some edges to a node the node table lacks, as a warehouse join can leave.
    extra = pd.DataFrame({"src": nodes["node_id"].iloc[:5].to_numpy(), "dst": np.full(5, 42, dtype=np.int64)})
    pd.concat([edges, extra]).to_parquet(tmp_path / "edges" / "part-0.parquet", index=False)
    ray.init(runtime_env={"py_modules": [os.path.join(PACKAGE_DIR, "gnn_pipeline")]})
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        from_parquet = graphs.build_graph(*graphs.read_tables(str(tmp_path)))
        in_memory = graphs.build_graph(*graphs.tables_from_pandas(nodes, edges))
    finally:
        ray.shutdown()
    assert from_parquet.dropped_edges == 10 and in_memory.dropped_edges == 0  # both directions
    for field in ("node_ids", "y", "split", "edge_index"):
        assert np.array_equal(getattr(from_parquet, field), getattr(in_memory, field)), field
    assert np.allclose(from_parquet.x, in_memory.x, atol=1e-5)
    # Standardised with the training nodes' statistics; undirected, no self-loops, no duplicates.
    train = from_parquet.x[from_parquet.mask("train")]
    assert np.allclose(train.mean(axis=0), 0, atol=1e-4) and np.allclose(train.std(axis=0), 1, atol=1e-3)
    ei = from_parquet.edge_index
    pairs = set(zip(ei[0].tolist(), ei[1].tolist()))
    assert len(pairs) == ei.shape[1] and all((d, s) in pairs for s, d in pairs) and all(s != d for s, d in pairs)
