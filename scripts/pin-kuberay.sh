#!/usr/bin/env bash
# Pin the CRDs of a KubeRay release: npm run kuberay:pin -- <version>
# Downloads helm-chart/kuberay-operator/crds/*.yaml, the chart and the licence from the release
# tag into data/kuberay/<version>/, and regenerates the RayCluster types from its CRD
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
# The chart itself (the ray-operator Go module does not hold it): from the tag's tarball,
# without its crds/ (above), tests and READMEs, for stacks that name it in kuberay.chart.
rm -rf "$dir/chart" && mkdir -p "$dir/chart"
curl -fsSL "https://codeload.github.com/ray-project/kuberay/tar.gz/v$version" | tar -xz -C "$dir/chart" --strip-components=3 "kuberay-$version/helm-chart/kuberay-operator"
rm -rf "$dir/chart/crds" "$dir/chart/tests" "$dir/chart"/README*
checksum=$(cd "$dir/chart" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
curl -fsSL "$base/LICENSE" -o "$dir/LICENSE"
cat > "$dir/PROVENANCE.md" <<MD
# KubeRay $version CRDs

- Source: https://github.com/ray-project/kuberay, tag \`v$version\`,
  \`helm-chart/kuberay-operator/crds/\` (the CRDs the kuberay-operator Helm chart $version ships).
- \`chart/\`: the chart (\`helm-chart/kuberay-operator\`), unmodified, without its \`crds/\`
  (above), tests and READMEs. Stacks that cannot reach the chart repository name this
  directory in \`ray-platform:kuberay.chart\`.
  Checksum (\`cd chart && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum\`):
  \`$checksum\`.
- Licence: Apache License 2.0, copied here as \`LICENSE\`.
- Pinned with \`npm run kuberay:pin -- $version\` on $(date -u +%Y-%m-%d).
MD
(cd "$root" && npm run -s gen:kuberay-types -- "$version")
echo "Pinned KubeRay $version CRDs in data/kuberay/$version and regenerated its RayCluster types. Set KUBERAY_VERSION in config/stackFile.ts and ray-platform:kuberay.version to $version, run npm run typecheck and npm run plan -- --diff origin/main, and commit them together."
