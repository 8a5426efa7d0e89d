"""The seed's SDK: `RayCluster.create_cluster(...)`, `cluster.head_ip`, `cluster.scale_worker_group(...)`.

Every call runs the bundled rayctl with `-o json`, so a cluster made here is made by the same
validation, rendering, quota check and refusals as one made with rayctl or a team file.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional

from . import _rayctl
from .errors import InternalError, UnreachableError

_URL_LINE = re.compile(r"^([A-Za-z ]+):\s+(\S+)$")


@dataclass(frozen=True)
class Connection:
    """Ports of a cluster forwarded to this machine while `RayCluster.connect()` is open."""

    urls: Dict[str, str]
    """What rayctl connect printed: "Ray client", "Dashboard", "Notebook server", "OpenVSCode"."""

    @property
    def client_address(self) -> str:
        """For `ray.init(...)`: ray://127.0.0.1:<port>."""
        return self.urls["Ray client"]

    @property
    def dashboard_url(self) -> str:
        return self.urls["Dashboard"]

    @property
    def notebook_url(self) -> Optional[str]:
        return self.urls.get("Notebook server")

    @property
    def vscode_url(self) -> Optional[str]:
        return self.urls.get("OpenVSCode")


@dataclass
class RayCluster:
    """A Ray cluster on the platform, as `rayctl describe cluster NAME -n NAMESPACE -o json` shows it."""

    name: str
    namespace: str
    kubeconfig: Optional[str] = None
    context: Optional[str] = None
    _data: Dict[str, Any] = field(default_factory=dict, repr=False)

    # ---- the seed's class methods ----

    @classmethod
    def create_cluster(
        cls,
        name: str,
        namespace: str,
        *,
        cpus_in_head: Optional[float] = None,
        memory_in_head: Optional[str] = None,
        cpus_per_worker: Optional[float] = None,
        memory_per_worker: Optional[str] = None,
        worker_replicas: Optional[int] = None,
        min_workers: Optional[int] = None,
        max_workers: Optional[int] = None,
        gpus_per_worker: Optional[int] = None,
        worker_gpu_type: Optional[str] = None,
        ray_version: Optional[str] = None,
        with_tutorials: bool = False,
        notebook: bool = False,
        vscode_server: bool = False,
        await_ready: bool = True,
        timeout: str = "10m",
        kubeconfig: Optional[str] = None,
        context: Optional[str] = None,
    ) -> "RayCluster":
        """Create a cluster (rayctl create cluster); with await_ready, wait until its head and workers are ready."""
        flags: List[str] = []
        for flag, value in (
            ("--cpus-in-head", cpus_in_head),
            ("--memory-in-head", memory_in_head),
            ("--cpus-per-worker", cpus_per_worker),
            ("--memory-per-worker", memory_per_worker),
            ("--workers", worker_replicas),
            ("--min-workers", min_workers),
            ("--max-workers", max_workers),
            ("--gpus-per-worker", gpus_per_worker),
            ("--worker-gpu-type", worker_gpu_type),
            ("--ray-version", ray_version),
        ):
            if value is not None:
                flags += [flag, str(value)]
        for flag, on in (("--with-tutorials", with_tutorials), ("--notebook", notebook), ("--vscode-server", vscode_server)):
            if on:
                flags.append(flag)
        if await_ready:
            flags += ["--wait", "--timeout", timeout]
        conn = _rayctl.connection_flags(kubeconfig, context)
        _rayctl.run(["create", "cluster", name, "-n", namespace, *flags, *conn])
        return cls.get_cluster(name=name, namespace=namespace, kubeconfig=kubeconfig, context=context)

    @classmethod
    def get_cluster(cls, name: str, namespace: str, *, kubeconfig: Optional[str] = None, context: Optional[str] = None) -> "RayCluster":
        """The cluster NAME in NAMESPACE (rayctl describe cluster)."""
        cluster = cls(name=name, namespace=namespace, kubeconfig=kubeconfig, context=context)
        return cluster.refresh()

    @classmethod
    def list_clusters(cls, namespace: Optional[str] = None, *, kubeconfig: Optional[str] = None, context: Optional[str] = None) -> List["RayCluster"]:
        """The clusters of NAMESPACE, or of every namespace you may read when it is None (rayctl get cluster)."""
        scope = ["-n", namespace] if namespace else ["-A"]
        listed = _rayctl.run(["get", "cluster", *scope, *_rayctl.connection_flags(kubeconfig, context)])
        items = listed.get("items", []) if isinstance(listed, dict) else []
        return [cls.get_cluster(name=i["metadata"]["name"], namespace=i["metadata"]["namespace"], kubeconfig=kubeconfig, context=context) for i in items]

    # ---- what a cluster is ----

    def _run(self, verb: str, *args: str, json_output: bool = True) -> Any:
        return _rayctl.run([verb, "cluster", self.name, "-n", self.namespace, *args, *_rayctl.connection_flags(self.kubeconfig, self.context)], json_output=json_output)

    def refresh(self) -> "RayCluster":
        """Read the cluster again (state, workers, head IP)."""
        data = self._run("describe")
        if not isinstance(data, dict):
            raise InternalError(f"rayctl describe gave no cluster for {self.namespace}/{self.name}", 5)
        self._data = data
        return self

    @property
    def status(self) -> str:
        return str(self._data.get("status", "pending"))

    @property
    def head_ip(self) -> Optional[str]:
        value = self._data.get("headIp")
        return str(value) if value else None

    @property
    def num_workers(self) -> int:
        """Workers ready when last read (refresh() reads again)."""
        return int(self._data.get("workers", {}).get("ready", 0))

    @property
    def desired_workers(self) -> int:
        return int(self._data.get("workers", {}).get("desired", 0))

    @property
    def endpoints(self) -> Dict[str, str]:
        """In-cluster addresses: client, dashboard, and notebook/vscode when the cluster has them."""
        return {str(k): str(v) for k, v in self._data.get("endpoints", {}).items() if v}

    @property
    def client_address(self) -> str:
        """The Ray client address inside the cluster's network (from your machine: connect())."""
        return self.endpoints["client"]

    @property
    def worker_groups(self) -> List[Dict[str, Any]]:
        return list(self._data.get("workerGroups", []))

    @property
    def hourly_cost_usd(self) -> Optional[float]:
        value = self._data.get("hourlyCostUsd")
        return float(value) if value is not None else None

    @property
    def token(self) -> str:
        """The cluster's token, which the dashboard, notebook, editor and Ray clients ask for."""
        data = self._run("describe", "--show-token")
        return str(data["token"])

    def nodes(self) -> List[Dict[str, Any]]:
        """The Ray nodes (pods), head first: name, group, node, gpus, gpuType, state, ready, restarts (rayctl get nodes)."""
        data = _rayctl.run(["get", "nodes", self.name, "-n", self.namespace, *_rayctl.connection_flags(self.kubeconfig, self.context)])
        return list(data) if isinstance(data, list) else []

    def worker_group_status(self) -> List[Dict[str, Any]]:
        """Each worker group as it runs: ready and desired workers, bounds, per-worker shape (rayctl get workergroups)."""
        data = _rayctl.run(["get", "workergroups", self.name, "-n", self.namespace, *_rayctl.connection_flags(self.kubeconfig, self.context)])
        return list(data) if isinstance(data, list) else []

    def logs(self, *, worker_group: Optional[str] = None, node: Optional[str] = None, container: Optional[str] = None, tail: Optional[int] = None) -> str:
        """The head's log, or a worker group's (each line prefixed with [pod]), or one node's (rayctl logs)."""
        flags: List[str] = []
        for flag, value in (("--worker-group", worker_group), ("--node", node), ("--container", container), ("--tail", tail)):
            if value is not None:
                flags += [flag, str(value)]
        return _rayctl.run_text(["logs", self.name, "-n", self.namespace, *flags, *_rayctl.connection_flags(self.kubeconfig, self.context)])

    # ---- what a cluster does ----

    def scale_worker_group(self, worker_group: str, replicas: Optional[int] = None, *, min_workers: Optional[int] = None, max_workers: Optional[int] = None) -> "RayCluster":
        """A fixed number of workers (replicas), or autoscaling bounds (min_workers, max_workers)."""
        flags = ["--worker-group", worker_group]
        if replicas is not None:
            flags += ["--replicas", str(replicas)]
        if min_workers is not None:
            flags += ["--min-workers", str(min_workers)]
        if max_workers is not None:
            flags += ["--max-workers", str(max_workers)]
        self._run("scale", *flags)
        return self.refresh()

    def wait(self, timeout: str = "10m") -> "RayCluster":
        """Until the head and the minimum workers are ready (the seed's await_ready)."""
        self._run("wait", "--timeout", timeout, json_output=False)
        return self.refresh()

    def delete(self) -> None:
        self._run("delete", json_output=False)

    @contextlib.contextmanager
    def connect(self, timeout: float = 60.0) -> Iterator[Connection]:
        """Forward the cluster's ports to this machine while the block runs (rayctl connect, kubectl port-forward)."""
        command = _rayctl.rayctl_command() + ["connect", self.name, "-n", self.namespace, *_rayctl.connection_flags(self.kubeconfig, self.context)]
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        urls: Dict[str, str] = {}
        errors: List[str] = []
        ready = threading.Event()

        def read_urls() -> None:
            assert child.stdout is not None
            for line in child.stdout:
                m = _URL_LINE.match(line.strip())
                if m:
                    urls[m.group(1)] = m.group(2)
                if line.startswith("Press Ctrl-C"):
                    ready.set()
            ready.set()

        def read_errors() -> None:
            # Drained all along: a full pipe would block rayctl, and with it the forwarding.
            assert child.stderr is not None
            for line in child.stderr:
                errors.append(line.rstrip("\n").removeprefix("rayctl: "))

        threading.Thread(target=read_urls, daemon=True).start()
        threading.Thread(target=read_errors, daemon=True).start()
        try:
            if not ready.wait(timeout) or "Ray client" not in urls:
                raise UnreachableError("\n".join(errors[-5:]).strip() or f"rayctl connect printed no ports within {timeout:.0f} s", 4)
            yield Connection(urls=dict(urls))
        finally:
            # rayctl and its kubectl port-forward, both: they share the process group started here.
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
                try:
                    child.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGTERM)
