#!/usr/bin/env bash
# The GNN pipeline and the tutorial notebooks on a real local Ray, on CPU (npm run test:gnn,
# npm run test:notebooks). Builds, when missing, a virtual environment from
# requirements-test.txt (exact pins; constraints-test.txt pins everything they bring) cached by
# the two files' hash under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/ray-platform/gnn-venv-<hash>
# then runs pytest inside a network namespace of its own, with only a loopback: Ray binds
# there, and nothing the tests start can reach the machine's network or the internet.
#
#   test.sh [--pipeline | --notebooks] [pytest arguments]   both test files unless one is named
#   test.sh --setup-only                                     only build the environment
#
# PyPI's Linux torch wheel bundles CUDA: the environment is about 5 GB (docs/clusters.md: "The GNN
# pipeline" gives the measured size and times).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
REQ="$HERE/requirements-test.txt"
CONSTRAINTS="$HERE/constraints-test.txt"
HASH=$(cat "$REQ" "$CONSTRAINTS" | sha256sum | cut -c1-12)
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/ray-platform/gnn-venv-$HASH"

log() { printf '[gnn %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

build_venv() {
  log "building $VENV from $(basename "$REQ") (torch with its CUDA libraries: several GB)"
  local start=$SECONDS
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir -r "$REQ" -c "$CONSTRAINTS"
  local took=$((SECONDS - start)) size
  size=$(du -sm "$VENV" | cut -f1)
  printf 'built in %d s, %d MB\n' "$took" "$size" >"$VENV/.complete"
  log "built in ${took} s, ${size} MB"
}

if [ -f "$VENV/.complete" ]; then
  log "environment cached in $VENV ($(cat "$VENV/.complete"))"
else
  build_venv
fi

what=("$HERE/tests/test_pipeline.py" "$ROOT/tutorials/test_notebooks.py")
case "${1:-}" in
  --setup-only) exit 0 ;;
  --pipeline) what=("$HERE/tests/test_pipeline.py"); shift ;;
  --notebooks) what=("$ROOT/tutorials/test_notebooks.py"); shift ;;
esac

[ "$(id -u)" = 0 ] || { echo "test.sh runs Ray in a network namespace of its own, which needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN); run it as root or in CI." >&2; exit 1; }
command -v ip >/dev/null || { echo "test.sh needs iproute2's ip: apt-get install -y iproute2" >&2; exit 1; }

NS="gnn-$$"
cleanup() {
  local pid
  for pid in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  ip netns delete "$NS" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up

# A Ray head in the namespace, as a cluster has: the pipeline is submitted to it as a job (the
# way rayctl's RayJobs run it) and the notebooks' ray.init() connects to it (RAY_ADDRESS).
# Ray's files (sessions, logs, runtime_env virtualenvs) go to a directory removed at the end.
RAY_TMP=$(mktemp -d /tmp/gnn-ray.XXXXXX)
trap 'cleanup; rm -rf "$RAY_TMP"' EXIT
in_ns() { ip netns exec "$NS" env RAY_TMPDIR="$RAY_TMP" RAY_USAGE_STATS_ENABLED=0 PATH="$VENV/bin:$PATH" "$@"; }
start=$SECONDS
# 4 logical CPUs on a 2-core machine: two training workers and Ray Data's tasks fit beside each other.
in_ns "$VENV/bin/ray" start --head --port 6379 --num-cpus 4 --dashboard-host 127.0.0.1 \
  --dashboard-port 8265 --temp-dir "$RAY_TMP" --disable-usage-stats >"$RAY_TMP/ray-start.log" 2>&1 \
  || { cat "$RAY_TMP/ray-start.log" >&2; exit 1; }
log "Ray head up in $((SECONDS - start)) s"
cd "$HERE"
in_ns env RAY_ADDRESS=127.0.0.1:6379 GNN_DASHBOARD=http://127.0.0.1:8265 \
  "$VENV/bin/python" -m pytest -p no:cacheprovider "${what[@]}" "$@"
