"""The seed's Python SDK against the fake Kubernetes API: the same rules as rayctl, errors by kind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ray_platform import InvalidInputError, NodeNotFoundError, RayCluster, RayJob, RefusedError, WaitTimeoutError, submit_job


def test_the_seeds_example_runs_as_written(fake_api: str) -> None:
    # The seed's example, apart from the import line (and a name the playground's team file does not declare).
    cluster = RayCluster.create_cluster(
        name="my-experiment",
        namespace="ray-playground",
        cpus_in_head=4,
        memory_in_head="16Gi",
        cpus_per_worker=8,
        memory_per_worker="32Gi",
        worker_replicas=2,
        gpus_per_worker=1,
        worker_gpu_type="t4",
        with_tutorials=True,
        vscode_server=True,
        await_ready=True,
    )
    assert cluster.status == "ready"
    assert cluster.head_ip
    assert cluster.num_workers == 2
    assert cluster.endpoints["notebook"].endswith(":8081")
    assert cluster.client_address == "ray://my-experiment-head-svc.ray-playground.svc.cluster.local:10001"
    group = cluster.worker_groups[0]
    assert (group["cpus"], group["memory"], group["gpus"], group["gpuType"]) == (8, "32Gi", 1, "t4")
    nodes = cluster.nodes()
    assert [(n["type"], n["gpus"]) for n in nodes] == [("head", 0), ("worker", 1), ("worker", 1)]
    assert cluster.worker_group_status()[0]["ready"] == 2
    assert "started" in cluster.logs(worker_group=group["name"], tail=5)

    cluster.scale_worker_group(worker_group=group["name"], replicas=3)
    assert cluster.worker_groups[0]["replicas"] == 3
    assert cluster.wait(timeout="30s").num_workers == 3

    again = RayCluster.get_cluster(name="my-experiment", namespace="ray-playground")
    assert again.head_ip == cluster.head_ip
    assert "my-experiment" in [c.name for c in RayCluster.list_clusters(namespace="ray-playground")]
    assert len(cluster.token) == 48  # kept by its creator: members read no Secret

    cluster.delete()
    with pytest.raises(RefusedError, match="not found"):
        RayCluster.get_cluster(name="my-experiment", namespace="ray-playground")


def test_errors_come_by_kind_with_rayctls_message(fake_api: str) -> None:
    with pytest.raises(InvalidInputError, match="memory-per-worker") as bad:
        RayCluster.create_cluster(name="x", namespace="ray-playground", memory_per_worker="32GB", await_ready=False)
    assert bad.value.exit_code == 1
    # The playground's team file declares my-cluster: the platform's program makes it.
    with pytest.raises(RefusedError, match="declared in the team file ray-playground.yaml"):
        RayCluster.create_cluster(name="my-cluster", namespace="ray-playground", await_ready=False)
    # Over the team's GPU quota: refused before anything is created, with what to ask for.
    with pytest.raises(RefusedError, match="quota"):
        RayCluster.create_cluster(name="big", namespace="recsys", worker_replicas=40, gpus_per_worker=1, worker_gpu_type="t4", await_ready=False)
    assert [c.name for c in RayCluster.list_clusters(namespace="recsys")] == ["two-tower"]


def test_a_cluster_that_does_not_get_ready_times_out(stuck_fake_api: str) -> None:
    cluster = RayCluster.create_cluster(name="slow", namespace="recsys", worker_replicas=0, await_ready=False)
    with pytest.raises(WaitTimeoutError, match="slow") as waited:
        cluster.wait(timeout="2s")
    assert isinstance(waited.value, TimeoutError)


def test_without_node_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("RAY_PLATFORM_NODE", raising=False)
    with pytest.raises(NodeNotFoundError, match="Install Node.js 20 or later"):
        RayCluster.get_cluster(name="x", namespace="recsys")


def test_connect_forwards_the_ports_and_yields_the_urls(fake_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    RayCluster.create_cluster(name="tools", namespace="recsys", worker_replicas=0, notebook=True)
    # kubectl port-forward, as rayctl connect runs it; it runs until rayctl is stopped.
    kubectl = tmp_path / "kubectl"
    kubectl.write_text(
        "#!/bin/sh\n"
        'echo "Forwarding from 127.0.0.1:41001 -> 10001"\n'
        'echo "Forwarding from 127.0.0.1:41002 -> 8265"\n'
        'echo "Forwarding from 127.0.0.1:41003 -> 8081"\n'
        f'echo "$@" > {tmp_path}/args\n'
        "exec sleep 60\n"
    )
    kubectl.chmod(kubectl.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("RAYCTL_KUBECTL", str(kubectl))
    cluster = RayCluster.get_cluster(name="tools", namespace="recsys")
    with cluster.connect() as conn:
        assert conn.client_address == "ray://127.0.0.1:41001"
        assert conn.dashboard_url == "http://127.0.0.1:41002"
        # Ready to click: the notebook takes the cluster's token in its URL.
        assert conn.notebook_url == f"http://127.0.0.1:41003/?token={cluster.token}"
        assert conn.vscode_url is None
    assert (tmp_path / "args").read_text().startswith("port-forward -n recsys pod/tools-head")
    assert os.environ["RAYCTL_KUBECTL"] == str(kubectl)


def test_submit_job_runs_it_on_a_cluster_made_for_it(fake_api: str, tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("print('training')\n")
    job = submit_job("python train.py --epochs 1", "recsys", name="py-job", working_dir=str(tmp_path), worker_replicas=1)
    assert (job.name, job.status) == ("py-job", "RUNNING")
    assert job.cluster is not None and job.cluster.startswith("py-job-")
    assert "submitted successfully" in job.logs()
    assert [j.name for j in RayJob.list_jobs("recsys")].count("py-job") == 1
    # Stopped, it ends as not succeeded: wait() says so instead of raising.
    job.stop()
    assert job.wait(timeout="30s") is False
    assert job.message is not None and "activeDeadlineSeconds" in job.message
    job.delete()
    with pytest.raises(RefusedError):
        RayJob.get_job("py-job", "recsys")
