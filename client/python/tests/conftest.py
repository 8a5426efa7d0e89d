"""The fake Kubernetes API of the client tests (test/fakeServer.ts), one per test: a fresh state each."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture()
def fake_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh fake API server; KUBECONFIG points at it (user alice, a recsys contributor)."""
    yield from _fake(tmp_path, monkeypatch, "auto")


@pytest.fixture()
def stuck_fake_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Like fake_api, but its KubeRay never makes a cluster ready."""
    yield from _fake(tmp_path, monkeypatch, "stuck")


def _fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kuberay: str) -> Iterator[str]:
    server = subprocess.Popen(
        [str(REPO / "node_modules" / ".bin" / "tsx"), str(REPO / "test" / "fakeServer.ts")],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "FAKE_KUBERAY": kuberay},
    )
    assert server.stdout is not None and server.stdin is not None
    line = server.stdout.readline()
    assert line, "the fake API server did not start"
    kubeconfig = json.loads(line)["kubeconfig"]
    monkeypatch.setenv("KUBECONFIG", kubeconfig)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("RAYCTL_TOKEN_DIR", str(tmp_path / "tokens"))
    try:
        yield kubeconfig
    finally:
        server.stdin.close()
        server.wait(30)
