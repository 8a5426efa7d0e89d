"""Running the bundled rayctl: one implementation of the platform's rules for both SDKs and the CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Optional, Sequence

from .errors import BY_EXIT_CODE, InternalError, NodeNotFoundError

MIN_NODE_MAJOR = 20
_BUNDLE = Path(__file__).parent / "_bundle" / "rayctl.js"


def node() -> str:
    """The `node` that runs rayctl: $RAY_PLATFORM_NODE, else the first on PATH, at least version 20."""
    found = os.environ.get("RAY_PLATFORM_NODE") or shutil.which("node")
    if not found:
        raise NodeNotFoundError(
            "Node.js is not on PATH; the ray-platform SDK runs the platform's rayctl with it. "
            "Install Node.js 20 or later (https://nodejs.org, or your package manager's nodejs) "
            "or set RAY_PLATFORM_NODE to its path.",
            127,
        )
    version = subprocess.run([found, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    match = re.match(r"v(\d+)\.", version)
    if not match or int(match.group(1)) < MIN_NODE_MAJOR:
        raise NodeNotFoundError(
            f"{found} is Node.js {version or 'of an unknown version'}; rayctl needs {MIN_NODE_MAJOR} or later. "
            "Install a newer Node.js or set RAY_PLATFORM_NODE to one.",
            127,
        )
    return found


def rayctl_command() -> list[str]:
    """The command line that starts rayctl: $RAY_PLATFORM_RAYCTL (a rayctl.js), else the bundled one."""
    script = os.environ.get("RAY_PLATFORM_RAYCTL") or str(_BUNDLE)
    if not Path(script).is_file():
        raise InternalError(
            f"rayctl is missing from this package ({script}); reinstall ray-platform-client "
            "(a wheel built with `npm run build:python`) or set RAY_PLATFORM_RAYCTL to a rayctl.js.",
            5,
        )
    return [node(), script]


def connection_flags(kubeconfig: Optional[str], context: Optional[str]) -> list[str]:
    flags: list[str] = []
    if kubeconfig:
        flags += ["--kubeconfig", kubeconfig]
    if context:
        flags += ["--context", context]
    return flags


def run(args: Sequence[str], *, json_output: bool = True) -> Any:
    """Run `rayctl ARGS [-o json]`; its JSON output, or None; raises the error of its exit code."""
    done = _run(args, json_output)
    if not json_output or not done.stdout.strip():
        return None
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError as err:
        raise InternalError(f"rayctl printed no JSON ({err}): {done.stdout[:200]}", 5) from err


def run_text(args: Sequence[str]) -> str:
    """Run `rayctl ARGS`; what it printed on stdout; raises the error of its exit code."""
    return _run(args, False).stdout


def _run(args: Sequence[str], json_output: bool) -> "subprocess.CompletedProcess[str]":
    args = list(args)
    # Before a "--": what follows it is the job's entrypoint, not rayctl's.
    at = args.index("--") if "--" in args else len(args)
    command = rayctl_command() + args[:at] + (["-o", "json"] if json_output else []) + args[at:]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = "\n".join(line.removeprefix("rayctl: ") for line in done.stderr.strip().splitlines())
        kind = BY_EXIT_CODE.get(done.returncode, InternalError)
        raise kind(message or f"rayctl exited with {done.returncode}", done.returncode)
    return done
