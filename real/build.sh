#!/usr/bin/env bash
# Builds the real control plane's programs from Go modules (and Ray from PyPI), each cached by version under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/ray-platform/real-control-plane/<name>-<version>/bin
# A cached component (its .complete stamp) is not built again. Usage: real/build.sh [name...]
# Prints one line per component; a component that cannot be built fails the run, named.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.sh
source "$HERE/versions.sh"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/ray-platform/real-control-plane"
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0
LDFLAGS_STRIP="-s -w"

log() { printf '[build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() { printf 'real/build.sh: cannot build %s: %s\n' "$1" "$2" >&2; exit 1; }

# A fresh wrapper module in $1 (its go.mod written by the caller from $2).
wrapper() {
  rm -rf "$1" && mkdir -p "$1" && printf '%s\n' "$2" >"$1/go.mod"
}

build_etcd() { # etcd's server module is `package main` with replace lines to its siblings.
  local w=$1/src
  wrapper "$w" "module local/etcd
go 1.25"
  (cd "$w" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" && go build -trimpath -ldflags "$LDFLAGS_STRIP" -o "$1/bin/etcd" go.etcd.io/etcd/server/v3)
}

build_kubernetes() { # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging.
  local w=$1/src modfile staging
  (cd /tmp && go mod download "k8s.io/kubernetes@$KUBERNETES_VERSION")
  modfile="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$KUBERNETES_VERSION.mod"
  local pub="v0.${KUBERNETES_VERSION#v1.}"
  # Every staging module this tag requires at v0.0.0, replaced by its published v0.N.P.
  staging=$(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1}' "$modfile" | sort -u)
  [ -n "$staging" ] || fail kubernetes "no v0.0.0 staging requirements in $modfile"
  local replaces="" m
  for m in $staging; do replaces+="replace $m => $m $pub"$'\n'; done
  wrapper "$w" "module local/kubernetes
go 1.25
require k8s.io/kubernetes $KUBERNETES_VERSION
$replaces"
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local stamp="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  local cmds=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
  cmds=("${cmds[@]/#/k8s.io/kubernetes/cmd/}")
  # go get with the version: without one it means @upgrade, to a newer Kubernetes.
  (cd "$w" && go get "${cmds[@]/%/@$KUBERNETES_VERSION}" && go build -trimpath -ldflags "$LDFLAGS_STRIP $stamp" -o "$1/bin/" "${cmds[@]}")
}

build_kwok() { # and its stock stages: nodes that initialise and renew leases, pods that run
  GOBIN="$1/bin" go install -trimpath -ldflags "$LDFLAGS_STRIP" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  local stages
  stages="$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage"
  mkdir -p "$1/stages" && cp "$stages"/node/fast/node-initialize.yaml "$stages"/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml "$stages"/pod/fast/pod-*.yaml "$1/stages/"
}

build_kuberay() { # the operator's main package is its module root.
  GOBIN="$1/bin" go install -trimpath -ldflags "$LDFLAGS_STRIP" "github.com/ray-project/kuberay/ray-operator@$KUBERAY_OPERATOR_VERSION"
}

build_kueue() { # and its Helm chart, from the same module
  (cd /tmp && go mod download "sigs.k8s.io/kueue@$KUEUE_VERSION")
  cp -r "$(go env GOMODCACHE)/sigs.k8s.io/kueue@$KUEUE_VERSION/charts/kueue" "$1/chart" && chmod -R u+w "$1/chart"
  GOBIN="$1/bin" go install -trimpath -ldflags "$LDFLAGS_STRIP -X sigs.k8s.io/kueue/pkg/version.GitVersion=$KUEUE_VERSION" "sigs.k8s.io/kueue/cmd/kueue@$KUEUE_VERSION"
}

build_pulumi() { # pkg/v3 replaces sdk/v3 with ../sdk and the clipboard module with a fork.
  local w=$1/src modfile fork
  (cd /tmp && go mod download "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION")
  modfile="$(go env GOMODCACHE)/cache/download/github.com/pulumi/pulumi/pkg/v3/@v/$PULUMI_VERSION.mod"
  fork=$(grep -E '^replace github.com/atotto/clipboard' "$modfile" || true)
  wrapper "$w" "module local/pulumi
go 1.25
require (
	github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION
)
$fork"
  (cd "$w" && go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$PULUMI_VERSION" && go build -trimpath -ldflags "$LDFLAGS_STRIP -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" -o "$1/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

build_pulumi_kubernetes() { # the provider embeds a schema generated at build time; its sdk replace points outside the module.
  local w=$1/src src
  (cd /tmp && go mod download "github.com/pulumi/pulumi-kubernetes/provider/v4@$PULUMI_KUBERNETES_MODULE")
  src="$(go env GOMODCACHE)/github.com/pulumi/pulumi-kubernetes/provider/v4@$PULUMI_KUBERNETES_MODULE"
  rm -rf "$w" && cp -r "$src" "$w" && chmod -R u+w "$w"
  sed -i '/^replace github.com\/pulumi\/pulumi-kubernetes\/sdk\/v4 => /d' "$w/go.mod"
  local sdk
  sdk=$(awk '$1 == "github.com/pulumi/pulumi-kubernetes/sdk/v4" {print $2}' "$w/go.mod")
  (cd "$w" && go get "github.com/pulumi/pulumi-kubernetes/sdk/v4@$sdk" && cd cmd/pulumi-resource-kubernetes && VERSION="$PULUMI_KUBERNETES_VERSION" go run generate.go \
    && cd "$w" && go build -trimpath -ldflags "$LDFLAGS_STRIP -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PULUMI_KUBERNETES_VERSION" -o "$1/bin/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes)
}

build_ray() { # Ray from PyPI with its dashboard, in a virtual environment of its own
  python3 -m venv "$1/venv" && "$1/venv/bin/pip" install --quiet --disable-pip-version-check "ray[default]==${RAY_VERSION#v}"
}

component_version() {
  case $1 in
    etcd) echo "$ETCD_VERSION" ;; kubernetes) echo "$KUBERNETES_VERSION" ;; kwok) echo "$KWOK_VERSION" ;;
    kuberay) echo "$KUBERAY_OPERATOR_VERSION" ;; kueue) echo "$KUEUE_VERSION" ;; pulumi) echo "$PULUMI_VERSION" ;; ray) echo "$RAY_VERSION" ;;
    pulumi_kubernetes) echo "$PULUMI_KUBERNETES_VERSION-${PULUMI_KUBERNETES_MODULE##*-}" ;;
    *) fail "$1" "unknown component (known: $ALL_COMPONENTS)" ;;
  esac
}

if [ "${1:-}" = "--paths" ]; then # name=directory of each component built, for the harness
  for name in $ALL_COMPONENTS; do
    dir="$CACHE/$name-$(component_version "$name")"
    if [ -f "$dir/.complete" ]; then echo "$name=$dir"; fi
  done
  exit 0
fi

for name in ${@:-$ALL_COMPONENTS}; do
  dir="$CACHE/$name-$(component_version "$name")"
  if [ -f "$dir/.complete" ]; then echo "$name: cached in $dir"; continue; fi
  log "$name: building into $dir"
  start=$SECONDS
  rm -rf "$dir/bin" && mkdir -p "$dir/bin"
  "build_$name" "$dir" >"$dir/build.log" 2>&1 || { tail -20 "$dir/build.log" >&2; fail "$name" "see $dir/build.log"; }
  rm -rf "$dir/src"
  touch "$dir/.complete"
  echo "$name: built in $((SECONDS - start)) s into $dir"
done
