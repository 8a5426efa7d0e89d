"""Errors by kind, one per rayctl exit code (`rayctl --help`: Exit codes), carrying its message."""

from __future__ import annotations


class RayPlatformError(Exception):
    """What rayctl refused or could not do; `message` is rayctl's own text, `exit_code` its code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class InvalidInputError(RayPlatformError, ValueError):
    """Exit 1: a bad flag, name or quantity; nothing was sent to the cluster."""


class RefusedError(RayPlatformError):
    """Exit 2: the platform's rules or the cluster refused (quota, rights, a taken name)."""


class WaitTimeoutError(RayPlatformError, TimeoutError):
    """Exit 3: the cluster was not ready in time (it may still become ready)."""


class UnreachableError(RayPlatformError, ConnectionError):
    """Exit 4: the cluster's API server could not be reached (kubeconfig, network, credentials)."""


class InternalError(RayPlatformError):
    """Exit 5, or output rayctl should not give: a bug; please report it with the message."""


class NodeNotFoundError(RayPlatformError):
    """Node.js 20 or later, which runs the bundled rayctl, is not on PATH."""


BY_EXIT_CODE: dict[int, type[RayPlatformError]] = {
    1: InvalidInputError,
    2: RefusedError,
    3: WaitTimeoutError,
    4: UnreachableError,
    5: InternalError,
}
