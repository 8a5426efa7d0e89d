# Versions of the real control plane's programs (docs/testing.md: "The real control plane" says why each).
ETCD_VERSION=v3.6.17
KUBERNETES_VERSION=v1.35.4
KWOK_VERSION=v0.8.0
# KubeRay 1.7.0 (the pinned CRDs') is not served by the module proxy; 1.6.2 is the newest that is.
KUBERAY_OPERATOR_VERSION=v1.6.2
KUEUE_VERSION=v0.19.2
PULUMI_VERSION=v3.248.0
# The provider module is untagged; this pseudo-version (v4.25.0 plus 2 commits) is the only one served.
PULUMI_KUBERNETES_MODULE=v4.0.0-20260115033456-f47bc2d6f199
PULUMI_KUBERNETES_VERSION=4.25.0
# The pinned Ray images' version (data/ray-images.yaml default), from PyPI.
RAY_VERSION=v2.52.0
ALL_COMPONENTS="etcd kwok kuberay kueue kubernetes pulumi pulumi_kubernetes ray"
