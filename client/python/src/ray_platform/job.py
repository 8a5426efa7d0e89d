"""Ray jobs on the platform (KubeRay RayJobs), through the bundled rayctl: `rayctl job ...`."""

from __future__ import annotations

import shlex
import subprocess
from typing import Any, Dict, List, Optional, Sequence, Union

from . import _rayctl
from .errors import BY_EXIT_CODE, InternalError


class RayJob:
    """A job: its entrypoint runs on a cluster made for it (queued by Kueue, removed when it ends) or on an existing one."""

    def __init__(self, name: str, namespace: str, *, kubeconfig: Optional[str] = None, context: Optional[str] = None) -> None:
        self.name = name
        self.namespace = namespace
        self.kubeconfig = kubeconfig
        self.context = context
        self._data: Dict[str, Any] = {}

    @classmethod
    def submit(
        cls,
        entrypoint: Union[str, Sequence[str]],
        namespace: str,
        *,
        name: Optional[str] = None,
        working_dir: Optional[str] = None,
        cluster: Optional[str] = None,
        cpus_in_head: Optional[float] = None,
        memory_in_head: Optional[str] = None,
        cpus_per_worker: Optional[float] = None,
        memory_per_worker: Optional[str] = None,
        worker_replicas: Optional[int] = None,
        gpus_per_worker: Optional[int] = None,
        worker_gpu_type: Optional[str] = None,
        ray_version: Optional[str] = None,
        ttl: Optional[str] = None,
        deadline: Optional[str] = None,
        kubeconfig: Optional[str] = None,
        context: Optional[str] = None,
    ) -> "RayJob":
        """Submit ENTRYPOINT ("python train.py" or ["python", "train.py"]) with WORKING_DIR (at most 1 MB) (rayctl job submit)."""
        argv = shlex.split(entrypoint) if isinstance(entrypoint, str) else list(entrypoint)
        flags: List[str] = []
        for flag, value in (
            ("--name", name),
            ("--working-dir", working_dir),
            ("--cluster", cluster),
            ("--cpus-in-head", cpus_in_head),
            ("--memory-in-head", memory_in_head),
            ("--cpus-per-worker", cpus_per_worker),
            ("--memory-per-worker", memory_per_worker),
            ("--workers", worker_replicas),
            ("--gpus-per-worker", gpus_per_worker),
            ("--worker-gpu-type", worker_gpu_type),
            ("--ray-version", ray_version),
            ("--ttl", ttl),
            ("--deadline", deadline),
        ):
            if value is not None:
                flags += [flag, str(value)]
        conn = _rayctl.connection_flags(kubeconfig, context)
        created = _rayctl.run(["job", "submit", "-n", namespace, *flags, *conn, "--", *argv])
        if not isinstance(created, dict):
            raise InternalError("rayctl job submit gave no RayJob", 5)
        job = cls(created["metadata"]["name"], namespace, kubeconfig=kubeconfig, context=context)
        return job.refresh()

    @classmethod
    def get_job(cls, name: str, namespace: str, *, kubeconfig: Optional[str] = None, context: Optional[str] = None) -> "RayJob":
        return cls(name, namespace, kubeconfig=kubeconfig, context=context).refresh()

    @classmethod
    def list_jobs(cls, namespace: str, *, kubeconfig: Optional[str] = None, context: Optional[str] = None) -> List["RayJob"]:
        listed = _rayctl.run(["job", "list", "-n", namespace, *_rayctl.connection_flags(kubeconfig, context)])
        items = listed.get("items", []) if isinstance(listed, dict) else []
        return [cls.get_job(i["metadata"]["name"], namespace, kubeconfig=kubeconfig, context=context) for i in items]

    def _args(self, verb: str) -> List[str]:
        return ["job", verb, self.name, "-n", self.namespace, *_rayctl.connection_flags(self.kubeconfig, self.context)]

    def refresh(self) -> "RayJob":
        data = _rayctl.run(self._args("describe"))
        if not isinstance(data, dict):
            raise InternalError(f"rayctl job describe gave nothing for {self.namespace}/{self.name}", 5)
        self._data = data
        return self

    @property
    def status(self) -> str:
        """Ray's job status (PENDING, RUNNING, SUCCEEDED, FAILED, STOPPED), or Queued/Initializing before Ray has one; as last read."""
        return str(self._data.get("status", "New"))

    @property
    def cluster(self) -> Optional[str]:
        value = self._data.get("cluster")
        return str(value) if value else None

    @property
    def message(self) -> Optional[str]:
        value = self._data.get("message")
        return str(value) if value else None

    def wait(self, timeout: str = "24h") -> bool:
        """Until the job ends; True if it succeeded (rayctl job wait: exit 0, or 6 when it did not)."""
        done = subprocess.run(_rayctl.rayctl_command() + self._args("wait") + ["--timeout", timeout], capture_output=True, text=True, check=False)
        if done.returncode not in (0, 6):
            message = "\n".join(line.removeprefix("rayctl: ") for line in done.stderr.strip().splitlines())
            raise BY_EXIT_CODE.get(done.returncode, InternalError)(message or f"rayctl exited with {done.returncode}", done.returncode)
        self.refresh()
        return done.returncode == 0

    def logs(self, tail: Optional[int] = None) -> str:
        """The driver's output so far (rayctl job logs)."""
        return _rayctl.run_text(self._args("logs") + (["--tail", str(tail)] if tail is not None else []))

    def stop(self) -> None:
        """Stop it: KubeRay fails it and removes its cluster; a job not started yet is deleted."""
        _rayctl.run(self._args("stop"), json_output=False)

    def delete(self) -> None:
        _rayctl.run(self._args("delete"), json_output=False)


def submit_job(entrypoint: Union[str, Sequence[str]], namespace: str, **options: Any) -> RayJob:
    """The SDK's submit_job(...): RayJob.submit."""
    return RayJob.submit(entrypoint, namespace, **options)
