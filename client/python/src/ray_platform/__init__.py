"""Ray clusters on the ray-platform from Python, by the platform's own rules (the bundled rayctl)."""

from .cluster import Connection, RayCluster
from .job import RayJob, submit_job
from .errors import (
    InternalError,
    InvalidInputError,
    NodeNotFoundError,
    RayPlatformError,
    RefusedError,
    UnreachableError,
    WaitTimeoutError,
)

__all__ = [
    "Connection",
    "InternalError",
    "InvalidInputError",
    "NodeNotFoundError",
    "RayCluster",
    "RayJob",
    "RayPlatformError",
    "RefusedError",
    "UnreachableError",
    "WaitTimeoutError",
    "submit_job",
]
