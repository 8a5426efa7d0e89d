/**
 * What the team quota counts besides CPU, memory and GPUs: objects (so one team cannot exhaust
 * the Service range, etcd or the scheduler for all) and the container defaults that make every
 * container count.
 */
import {
  canonicalMemory,
  CONTAINER_EPHEMERAL_DEFAULT_BYTES,
  CONTAINER_MINIMUM,
  formatCpu,
} from "../config/quantity";
import { type ObjectQuota } from "../config/teamFile";

/** ResourceQuota keys of the object counts; LoadBalancer and NodePort Services are refused outright. */
export function objectCounts(o: Readonly<ObjectQuota>): Record<string, string> {
  return {
    services: String(o.services),
    "services.loadbalancers": "0",
    "services.nodeports": "0",
    configmaps: String(o.configMaps),
    secrets: String(o.secrets),
    pods: String(o.pods),
    persistentvolumeclaims: String(o.persistentVolumeClaims),
  };
}

/**
 * LimitRange of containers in team namespaces. `min` applies to requests (and limits when
 * set): 10m and 16Mi are below anything that runs, but not zero. Every container the platform
 * renders (and GKE's GCS FUSE sidecar, 250m/256Mi) asks for more.
 */
export const CONTAINER_LIMITS = {
  defaultRequest: {
    cpu: "250m",
    memory: "512Mi",
    "ephemeral-storage": canonicalMemory(CONTAINER_EPHEMERAL_DEFAULT_BYTES),
  },
  default: { "ephemeral-storage": "50Gi" },
  min: { cpu: formatCpu(CONTAINER_MINIMUM.cpu), memory: canonicalMemory(CONTAINER_MINIMUM.memoryBytes) },
} as const;
