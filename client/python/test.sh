#!/usr/bin/env bash
# npm run test:python: the Python SDK built the way it ships (rayctl bundled in), installed
# into a virtual environment of its own (pytest, mypy and setuptools from PyPI, cached by
# version under the user's cache directory), then `mypy --strict`, pytest against the fake
# Kubernetes API (test/fakeServer.ts), and a wheel that must hold rayctl. --setup-only: build and
# install only, and print the environment's python (the real control plane's scenario f uses it).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTEST=9.2.0 MYPY=2.4.1 SETUPTOOLS=84.2.1
venv="${XDG_CACHE_HOME:-$HOME/.cache}/ray-platform/python-sdk-tests-pytest$PYTEST-mypy$MYPY-setuptools$SETUPTOOLS"
if [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "pytest==$PYTEST" "mypy==$MYPY" "setuptools==$SETUPTOOLS"
  touch "$venv/.complete"
fi
node client/build.mjs client/python/src/ray_platform/_bundle
"$venv/bin/pip" install --quiet --no-deps --no-build-isolation --force-reinstall ./client/python
rm -rf client/python/build
if [ "${1:-}" = "--setup-only" ]; then echo "$venv/bin/python"; exit 0; fi
(cd client/python && "$venv/bin/mypy" --strict src tests examples)
wheels=$(mktemp -d)
"$venv/bin/pip" wheel --quiet --no-deps --no-build-isolation -w "$wheels" ./client/python
listing=$(python3 -m zipfile -l "$wheels"/ray_platform_client-*.whl)
grep -q "ray_platform/_bundle/rayctl.js" <<<"$listing" || { echo "the wheel does not hold rayctl" >&2; exit 1; }
rm -rf "$wheels" client/python/build
"$venv/bin/pytest" -q client/python/tests "$@"
