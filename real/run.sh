#!/usr/bin/env bash
# npm run test:real: builds what is missing (real/build.sh), then runs the real control plane's
# scenarios (vitest.real.config.mts) inside a network namespace of their own, where the
# control plane adds a bridge for the API server and host pods (real/network.ts). Everything
# listens there; nothing reaches the machine's network. Every namespace and process it made is
# removed at the end, also on failure. Arguments go to vitest: npm run test:real -- -t "second up".
#
#   real/run.sh --dev            a control plane that stays up (real/dev.ts), for developing scenarios
#   real/run.sh --bench [--quick | --teams LIST]  the real engine's figures (bench/real.ts)
#   RP_ATTACH=<context.json>     run the scenarios against that one instead of a fresh one
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "test:real needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) for its network namespaces; run it as root or in CI." >&2; exit 1; }
command -v ip >/dev/null || { echo "test:real needs iproute2's ip: apt-get install -y iproute2" >&2; exit 1; }
command -v openssl >/dev/null || { echo "test:real needs openssl for the control plane's certificates: apt-get install -y openssl" >&2; exit 1; }
bash real/build.sh

if [ -n "${RP_ATTACH:-}" ]; then
  ns=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).netns)' "$RP_ATTACH")
  exec ip netns exec "$ns" env RP_NETNS_PREFIX="$ns" npx vitest run --config vitest.real.config.mts "$@"
fi

NS="rp-$$"
export RP_NETNS_PREFIX="$NS"
cleanup() {
  local ns pid
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$NS(-|$)" || true); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns delete "$ns" 2>/dev/null || true
  done
}
trap cleanup EXIT
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
if [ "${1:-}" = "--dev" ]; then
  ip netns exec "$NS" npx tsx real/dev.ts
elif [ "${1:-}" = "--bench" ]; then
  shift
  ip netns exec "$NS" npx tsx bench/real.ts "$@"
else
  ip netns exec "$NS" npx vitest run --config vitest.real.config.mts "$@"
fi
