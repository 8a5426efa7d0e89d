#!/usr/bin/env bash
# Pin the CRDs of a KubeRay release: npm run kuberay:pin -- <version>
# Downloads helm-chart/kuberay-operator/crds/*.yaml and the licence from the release tag into
# data/kuberay/<version>/, and regenerates the RayCluster types from its CRD
# (render/kuberay-types.generated.ts), for review and commit together with the version bump in
# config/stackFile.ts (KUBERAY_VERSION) and stack config.
set -euo pipefail
version="${1:?usage: npm run kuberay:pin -- <version, e.g. 1.8.0>}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/data/kuberay/$version"
base="https://raw.githubusercontent.com/ray-project/kuberay/v$version"
mkdir -p "$dir/crds"
for crd in rayclusters rayjobs rayservices raycronjobs; do
  curl -fsSL "$base/helm-chart/kuberay-operator/crds/ray.io_$crd.yaml" -o "$dir/crds/ray.io_$crd.yaml" \
    || { echo "ray.io_$crd.yaml is not in v$version; removing it from the pin" >&2; rm -f "$dir/crds/ray.io_$crd.yaml"; }
done
curl -fsSL "$base/helm-chart/kuberay-operator/values.yaml" -o "$dir/chart-values.yaml"
curl -fsSL "$base/helm-chart/kuberay-operator/Chart.yaml" -o "$dir/Chart.yaml"
curl -fsSL "$base/LICENSE" -o "$dir/LICENSE"
cat > "$dir/PROVENANCE.md" <<MD
# KubeRay $version CRDs

- Source: https://github.com/ray-project/kuberay, tag \`v$version\`, \`helm-chart/kuberay-operator/crds/\`,
  and the chart's \`values.yaml\` (as \`chart-values.yaml\`) and \`Chart.yaml\`.
- Licence: Apache License 2.0, copied here as \`LICENSE\`.
- Pinned with \`npm run kuberay:pin -- $version\` on $(date -u +%Y-%m-%d).
MD
(cd "$root" && npm run -s gen:kuberay-types -- "$version")
echo "Pinned KubeRay $version CRDs in data/kuberay/$version and regenerated its RayCluster types. Set KUBERAY_VERSION in config/stackFile.ts and ray-platform:kuberay.version to $version, run npm run typecheck and npm run plan -- --diff origin/main, and commit them together."
