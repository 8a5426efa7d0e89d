#!/usr/bin/env bash
# npm run bench [-- --quick]: the program's, the client's and the real engine's benchmarks, each
# given the same flags (npm appends them to the last command of a script only).
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsx bench/run.ts "$@"
npx tsx bench/client.ts "$@"
bash real/run.sh --bench "$@"
