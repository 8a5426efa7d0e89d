#!/usr/bin/env bash
# Writes config/rayStartFlags.generated.ts: the options of `ray start` in the Ray the real control
# plane runs (real/versions.sh), read from its click command (ray/scripts/scripts.py), so the
# loader checks rayStartParams by Ray's own types. Needs `bash real/build.sh` first.
set -euo pipefail
cd "$(dirname "$0")/.."
source real/versions.sh
python=$(bash real/build.sh --paths | sed -n "s/^ray=//p")/venv/bin/python
"$python" - "${RAY_VERSION#v}" > config/rayStartFlags.generated.ts <<'PY'
import sys
from ray.scripts.scripts import start
kinds = {"integer": "int", "float": "float", "boolean": "bool", "text": "text", "loads": "json", "choice": "choice"}
print(f"// `ray start` options of Ray {sys.argv[1]} (ray/scripts/scripts.py, its click params), written by")
print("// scripts/pin-ray-start-flags.sh: do not edit. KubeRay passes rayStartParams as --key=value, or a")
print('// bare --key for "true" (controllers/ray/common/pod.go convertParamMap). flag: takes no value.')
print(f'export const RAY_START_FLAGS_VERSION = "{sys.argv[1]}";')
print("export const RAY_START_FLAGS: Readonly<Record<string, { readonly type: string; readonly choices?: readonly string[] }>> = {")
for p in sorted(start.params, key=lambda p: p.name):
    name = [o for o in p.opts if o.startswith("--")][0][2:]
    if getattr(p, "count", False): kind = "count"
    elif p.is_flag: kind = "flag"
    else: kind = kinds[p.type.name]
    extra = f", choices: [{', '.join(chr(34) + c + chr(34) for c in p.type.choices)}]" if kind == "choice" else ""
    print(f'  "{name}": {{ type: "{kind}"{extra} }},')
print("};")
PY
echo "wrote config/rayStartFlags.generated.ts"
