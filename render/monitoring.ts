/**
 * What GKE Managed Prometheus scrapes (monitoring.googleapis.com/v1, CRDs pinned in data/gmp/
 * for the plan's schema check): every Ray pod, in whichever namespace, and the KubeRay
 * operator. GKE installs the CRDs when Managed Prometheus is on (gke mode only).
 */
import { type CustomObject } from "./rayCluster";
import { RAY_NODE_LABELS } from "./tenancy";
import { MANAGED_BY, RAY_PORT_NAMES } from "../config/wire";

const POD_MONITORING = { apiVersion: "monitoring.googleapis.com/v1", kind: "PodMonitoring" } as const;
/** How often Ray and operator metrics are collected (GMP's default is 60s; Ray's dashboards expect finer). */
const SCRAPE_INTERVAL = "30s";
/**
 * The operator pod's labels and metrics port, from the kuberay-operator chart 1.7.0
 * (templates/deployment.yaml: app.kubernetes.io/name, container port "http" 8080 serving /metrics).
 */
const OPERATOR_METRICS = {
  selector: { "app.kubernetes.io/name": "kuberay-operator" },
  port: "http",
} as const;

/**
 * Scrape the metrics port of every Ray pod (heads and workers) of every namespace: one object
 * for all teams, where a PodMonitoring per team namespace selected the same pods (one object
 * fewer a team). The series keep their labels: the CRD's default target labels add the pod's
 * namespace, pod and container as a PodMonitoring's did (prometheus-engine v0.17.2,
 * pkg/operator/apis/monitoring/v1/pod_config.go:180-189 and 254-269), and `job` is the object's
 * name, so it keeps the per-team objects' name. Each team's NetworkPolicy still lets the
 * collectors reach that port only.
 */
export function rayPodsMonitoring(): CustomObject {
  return {
    apiVersion: POD_MONITORING.apiVersion,
    kind: "ClusterPodMonitoring",
    metadata: { name: "ray-metrics", labels: { ...MANAGED_BY } },
    spec: {
      selector: { matchLabels: { ...RAY_NODE_LABELS } },
      endpoints: [{ port: RAY_PORT_NAMES.metrics, interval: SCRAPE_INTERVAL }],
    },
  };
}

/** Scrape the KubeRay operator's control-plane metrics (reconcile counts, cluster readiness times). */
export function operatorPodMonitoring(namespace: string): CustomObject {
  return {
    ...POD_MONITORING,
    metadata: { name: "kuberay-operator", namespace, labels: { ...MANAGED_BY } },
    spec: {
      selector: { matchLabels: { ...OPERATOR_METRICS.selector } },
      endpoints: [{ port: OPERATOR_METRICS.port, interval: SCRAPE_INTERVAL }],
    },
  };
}
