"""Runs `python -m gnn_pipeline.main` with its arguments in a driver that cannot import torch or
torch_geometric, as on the platform, whose rayproject/ray images have neither: the driver must
not import them, and `--pip auto` must then give them to what Ray runs through the runtime_env.
The test submits this file as the job's entrypoint instead of `python -m gnn_pipeline.main`."""

import importlib.abc
import runpy
import sys

BLOCKED = ("torch", "torch_geometric")


class _NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked: the platform's driver image has no torch)", name=name)
        return None


sys.meta_path.insert(0, _NoTorch())
runpy.run_module("gnn_pipeline.main", run_name="__main__", alter_sys=True)
