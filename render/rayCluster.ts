/**
 * A resolved RayCluster as the `ray.io/v1` object KubeRay reads, plus the Service that makes
 * its notebook and editor reachable inside the namespace and the tutorials ConfigMap.
 */
import type { input as k8s } from "@pulumi/kubernetes/types";
import { ELASTIC_JOB_ANNOTATION, ELASTIC_JOB_GATE, LOCAL_QUEUE } from "../config/kueue";
import { type ResolvedPool } from "../config/nodePools";
import { canonicalMemory, formatCpu, formatMemory } from "../config/quantity";
import { type ResolvedGroup, type ResolvedRayCluster, SIDECARS } from "../config/rayClusters";
import { authOptions, BUCKET_CSI_DRIVER, tokenEnv } from "./clusterAccess";
import {
  DESCRIPTION_ANNOTATION,
  GPU_RESOURCE,
  KUBERAY_LABELS,
  MANAGED_BY,
  QUEUE_LABEL,
  RAY_PORT_FLAGS,
  RAY_PORT_NAMES,
  RAY_PORTS,
  RAYCLUSTER_LABEL,
  type RayPort,
  TEAM_LABEL,
  TOOL_PORTS,
} from "../config/wire";
import {
  type Container,
  type PodSchedulingGate,
  type PodTemplateSpec,
  type RayClusterSpec,
  type ResourceRequirements,
  type SecurityContext,
  type Toleration,
  type Volume,
  type VolumeMount,
} from "./kuberay-types.generated";
import { gpuPriorityClass } from "../config/wire";

const WORKSPACE = "/home/ray/workspace";
/** The head's init container that copies the tutorials into the workspace. */
export const TUTORIALS_INIT_CONTAINER = "copy-tutorials";
const BUCKET_MOUNT = "/mnt/bucket";
/** Ray puts its object store in /dev/shm and sizes it to 30% of memory by default. */
const OBJECT_STORE_FRACTION = 0.3;
/** uid and gid of the `ray` user in rayproject/ray images (and uid of OpenVSCode's user). */
const RAY_UID = 1000;
const RAY_GID = 100;

/** The container security context every platform container gets: it meets Pod Security "restricted". */
const restricted: SecurityContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  runAsNonRoot: true,
  runAsUser: RAY_UID,
  runAsGroup: RAY_GID,
  seccompProfile: { type: "RuntimeDefault" },
};

const resources = (cpu: number, memoryBytes: number, gpus?: number): ResourceRequirements => {
  // Exactly what the loader checked against the quota: 1000M stays 1000M, not a rounded 954Mi.
  const r: Record<string, string> = { cpu: formatCpu(cpu), memory: canonicalMemory(memoryBytes) };
  if (gpus) r[GPU_RESOURCE] = String(gpus);
  // requests = limits: Ray reads its CPU and memory from the limits, and Guaranteed pods are evicted last.
  return { requests: r, limits: { ...r } };
};

const sidecarResources = (s: { cpu: number; memoryGi: number }) => resources(s.cpu, s.memoryGi * 2 ** 30);

/** Ray's ports as named container ports, and the `ray start` flags that make Ray listen on them. */
const containerPorts = (ports: readonly RayPort[]) =>
  ports.map((p) => ({ name: RAY_PORT_NAMES[p], containerPort: RAY_PORTS[p] }));
export const portFlags = (ports: readonly RayPort[]): Record<string, string> =>
  Object.fromEntries(ports.map((p) => [RAY_PORT_FLAGS[p], String(RAY_PORTS[p])]));
/** The head listens on every Ray port; workers serve only their metrics. */
export const HEAD_PORTS = Object.keys(RAY_PORTS) as RayPort[];
const WORKER_PORTS: readonly RayPort[] = ["metrics"];

function clusterLabels(c: ResolvedRayCluster): Record<string, string> {
  return { [TEAM_LABEL]: c.namespace, [RAYCLUSTER_LABEL]: c.name, ...MANAGED_BY };
}

function tolerations(pool: ResolvedPool | undefined): Toleration[] | undefined {
  if (!pool || pool.taints.length === 0) return undefined;
  return pool.taints.map((t) => ({ key: t.key, operator: "Equal", value: t.value, effect: t.effect }));
}

function shmVolume(memoryBytes: number): Volume {
  const mi = Math.max(64, Math.floor((memoryBytes * OBJECT_STORE_FRACTION) / 2 ** 20));
  return { name: "shm", emptyDir: { medium: "Memory", sizeLimit: `${mi}Mi` } };
}

function bucketVolume(bucket: string): Volume {
  return {
    name: "bucket",
    csi: {
      driver: BUCKET_CSI_DRIVER,
      volumeAttributes: {
        bucketName: bucket,
        mountOptions: `implicit-dirs,uid=${RAY_UID},gid=${RAY_GID},file-mode=664,dir-mode=775`,
      },
    },
  };
}

/** GKE injects the Cloud Storage FUSE sidecar on these annotations; its requests are counted in sizing. */
function podAnnotations(c: ResolvedRayCluster): Record<string, string> | undefined {
  if (!c.bucket) return undefined;
  return {
    "gke-gcsfuse/volumes": "true",
    "gke-gcsfuse/cpu-request": formatCpu(SIDECARS.gcsfuse.cpu),
    "gke-gcsfuse/memory-request": formatMemory(SIDECARS.gcsfuse.memoryGi * 2 ** 30),
    // 0 means no limit: FUSE throughput should not be throttled below what the node has spare.
    "gke-gcsfuse/cpu-limit": "0",
    "gke-gcsfuse/memory-limit": "0",
  };
}

function commonMounts(c: ResolvedRayCluster): VolumeMount[] {
  const mounts: VolumeMount[] = [{ name: "shm", mountPath: "/dev/shm" }];
  if (c.bucket) mounts.push({ name: "bucket", mountPath: BUCKET_MOUNT });
  return mounts;
}

function headTemplate(c: ResolvedRayCluster): PodTemplateSpec {
  const hasWorkspace = c.notebook || c.vscode || c.tutorials;
  const workspaceMount: VolumeMount = { name: "workspace", mountPath: WORKSPACE };
  const ray: Container = {
    name: "ray-head",
    image: c.images.cpu,
    ports: containerPorts(HEAD_PORTS),
    resources: resources(c.head.cpu, c.head.memoryBytes),
    volumeMounts: [...commonMounts(c), ...(hasWorkspace ? [workspaceMount] : [])],
    securityContext: restricted,
  };
  const containers: Container[] = [ray];
  const toolMounts = [workspaceMount, ...(c.bucket ? [{ name: "bucket", mountPath: BUCKET_MOUNT }] : [])];
  if (c.notebook) {
    containers.push({
      name: "notebook",
      image: c.images.notebook,
      // The cluster's token: Jupyter reads JUPYTER_TOKEN, and ray.init() in a notebook sends RAY_AUTH_TOKEN.
      command: withTokensHidden([
        "jupyter",
        "lab",
        "--ip=0.0.0.0",
        `--port=${TOOL_PORTS.notebook}`,
        "--no-browser",
        `--ServerApp.root_dir=${WORKSPACE}`,
      ]),
      env: [
        { name: "RAY_ADDRESS", value: `ray://127.0.0.1:${RAY_PORTS.client}` },
        tokenEnv(c, "JUPYTER_TOKEN"),
        { name: "RAY_AUTH_MODE", value: "token" },
        tokenEnv(c, "RAY_AUTH_TOKEN"),
      ],
      ports: [{ name: "notebook", containerPort: TOOL_PORTS.notebook }],
      resources: sidecarResources(SIDECARS.notebook),
      volumeMounts: toolMounts,
      securityContext: restricted,
    });
  }
  if (c.vscode) {
    containers.push({
      name: "vscode",
      image: c.images.vscode,
      // The token from a file the container writes (not on its command line, which ps shows);
      // the browser opens /?tkn=<token> once, then keeps a cookie. The image's server, as its entrypoint runs it.
      command: withTokensHidden(
        [
          "sh",
          "-c",
          `umask 077 && printf %s "$CONNECTION_TOKEN" > ${VSCODE_TOKEN_FILE} && exec "$OPENVSCODE_SERVER_ROOT/bin/openvscode-server" "$@"`,
          "openvscode-server",
        ],
        [
          "--port",
          String(TOOL_PORTS.vscode),
          "--default-folder",
          WORKSPACE,
          "--connection-token-file",
          VSCODE_TOKEN_FILE,
        ],
      ),
      env: [tokenEnv(c, "CONNECTION_TOKEN")],
      ports: [{ name: "vscode", containerPort: TOOL_PORTS.vscode }],
      resources: sidecarResources(SIDECARS.vscode),
      volumeMounts: toolMounts,
      securityContext: restricted,
    });
  }
  const volumes: Volume[] = [shmVolume(c.head.memoryBytes)];
  if (hasWorkspace) volumes.push({ name: "workspace", emptyDir: { sizeLimit: "20Gi" } });
  if (c.tutorials) volumes.push({ name: "tutorials", configMap: { name: tutorialsConfigMapName(c) } });
  if (c.bucket) volumes.push(bucketVolume(c.bucket));
  return {
    metadata: { labels: clusterLabels(c), annotations: podAnnotations(c) },
    spec: {
      serviceAccountName: c.serviceAccountName,
      nodeSelector: c.head.pool ? { ...c.head.pool.selector } : undefined,
      tolerations: tolerations(c.head.pool),
      schedulingGates: schedulingGates(c),
      initContainers: c.tutorials
        ? [
            {
              name: TUTORIALS_INIT_CONTAINER,
              image: c.images.cpu,
              // Copied, not mounted: ConfigMap mounts are read-only and notebooks are for editing.
              command: [
                "sh",
                "-c",
                `mkdir -p ${WORKSPACE}/tutorials && cp -n /tutorials/*.ipynb ${WORKSPACE}/tutorials/`,
              ],
              resources: resources(0.1, 128 * 2 ** 20),
              volumeMounts: [workspaceMount, { name: "tutorials", mountPath: "/tutorials", readOnly: true }],
              securityContext: restricted,
            },
          ]
        : undefined,
      containers,
      volumes,
    },
  };
}

const VSCODE_TOKEN_FILE = "/tmp/connection-token";

/**
 * `command` (then `args`) with every `token=` and `tkn=` value in its output replaced by
 * `<hidden>`: JupyterLab and OpenVSCode Server print their URLs with the token on start, and
 * container output goes to Cloud Logging, which the project's viewers read. The server keeps
 * PID 1 (exec); bash's process substitution runs the filter beside it.
 */
export function withTokensHidden(command: readonly string[], args: readonly string[] = []): string[] {
  return [
    "bash",
    "-c",
    `exec > >(exec sed -u -E 's/((tkn|token)=)[A-Za-z0-9_-]+/\\1<hidden>/g') 2>&1; exec "$@"`,
    "hide-tokens",
    ...command,
    ...args,
  ];
}

/** An autoscaled (elastic) cluster's pods wait for Kueue's admission of their slice (config/kueue.ts ELASTIC_JOB_GATE). */
function schedulingGates(c: ResolvedRayCluster): PodSchedulingGate[] | undefined {
  return c.autoscaling ? [{ name: ELASTIC_JOB_GATE }] : undefined;
}

function workerTemplate(c: ResolvedRayCluster, g: ResolvedGroup): PodTemplateSpec {
  const volumes: Volume[] = [shmVolume(g.memoryBytes)];
  if (c.bucket) volumes.push(bucketVolume(c.bucket));
  return {
    metadata: { labels: clusterLabels(c), annotations: podAnnotations(c) },
    spec: {
      serviceAccountName: c.serviceAccountName,
      nodeSelector: g.pool ? { ...g.pool.selector } : undefined,
      tolerations: tolerations(g.pool),
      priorityClassName: g.gpu ? gpuPriorityClass(g.gpu.gkeType) : undefined,
      schedulingGates: schedulingGates(c),
      containers: [
        {
          name: "ray-worker",
          image: g.gpu ? c.images.gpu : c.images.cpu,
          ports: containerPorts(WORKER_PORTS),
          resources: resources(g.cpu, g.memoryBytes, g.gpu?.count),
          volumeMounts: commonMounts(c),
          securityContext: restricted,
        },
      ],
      volumes,
    },
  };
}

/**
 * `num-cpus: "0"` on the head of a cluster with workers, as KubeRay's autoscaler samples do
 * (ray-cluster.autoscaler-v2.yaml): tasks and actors go to workers, and the head keeps its
 * CPUs for GCS, the dashboard, drivers and the notebook; a task that OOMs or pegs the CPUs
 * there takes the whole cluster down. A team file sets head.rayStartParams.num-cpus to
 * override it; with head.rayResources (which KubeRay refuses next to num-cpus) it says CPU there.
 */
function headCpusDefault(c: ResolvedRayCluster): Record<string, string> {
  return c.workerGroups.length > 0 && !c.head.rayResources ? { "num-cpus": "0" } : {};
}

/** A custom resource as Pulumi's CustomResource takes it. */
export interface CustomObject<Spec = Record<string, unknown>> {
  apiVersion: string;
  kind: string;
  metadata: k8s.meta.v1.ObjectMeta;
  spec: Spec;
}

/**
 * A RayCluster as the program and rayctl create it: spec typed by KubeRay's CRD
 * (render/kuberay-types.generated.ts), so a misspelt or mistyped field fails `tsc`.
 */
export interface RayClusterObject extends CustomObject<RayClusterSpec> {
  apiVersion: "ray.io/v1";
  kind: "RayCluster";
}

/** The RayCluster object, without Pulumi: what `kubectl get raycluster -o yaml` would show as spec. */
export function renderRayCluster(c: ResolvedRayCluster): RayClusterObject {
  const spec: RayClusterSpec = {
    rayVersion: c.rayVersion,
    authOptions: authOptions(c),
    headGroupSpec: {
      // Never LoadBalancer or NodePort: the dashboard and client port stay inside the cluster.
      serviceType: "ClusterIP",
      rayStartParams: {
        "dashboard-host": "0.0.0.0",
        ...portFlags(HEAD_PORTS),
        ...headCpusDefault(c),
        ...c.head.rayStartParams,
      },
      resources: c.head.rayResources,
      template: headTemplate(c),
    },
    workerGroupSpecs: c.workerGroups.map((g) => ({
      groupName: g.name,
      // `replicas` is the autoscaler's alone in an autoscaled group: the program never sends it,
      // so an update leaves it (and scaleStrategy) as the autoscaler wrote it. Left out, the
      // CRD's default 0 is raised to minReplicas by KubeRay (utils/util.go
      // GetWorkerGroupDesiredReplicas) and written so by Ray's autoscaler (2.52.0
      // autoscaler/v2/instance_manager/cloud_providers/kuberay/cloud_provider.py:238-241).
      ...(g.minReplicas < g.maxReplicas ? {} : { replicas: g.replicas }),
      minReplicas: g.minReplicas,
      maxReplicas: g.maxReplicas,
      rayStartParams: { ...portFlags(WORKER_PORTS), ...g.rayStartParams },
      resources: g.rayResources,
      template: workerTemplate(c, g),
    })),
  };
  if (c.autoscaling) {
    spec.enableInTreeAutoscaling = true;
    // v2 (Ray >= 2.10): KubeRay then sets restartPolicy Never on every Ray pod itself.
    spec.autoscalerOptions = {
      version: "v2",
      idleTimeoutSeconds: c.autoscaling.idleTimeoutSeconds,
      upscalingMode: c.autoscaling.upscalingMode,
      resources: sidecarResources(SIDECARS.autoscaler),
      securityContext: restricted,
    };
  }
  return {
    apiVersion: "ray.io/v1",
    kind: "RayCluster",
    metadata: {
      name: c.name,
      namespace: c.namespace,
      // Queued by Kueue in the team's LocalQueue (docs/queues.md).
      labels: { ...clusterLabels(c), [QUEUE_LABEL]: LOCAL_QUEUE },
      annotations: {
        ...(c.description ? { [DESCRIPTION_ANNOTATION]: c.description } : {}),
        // Kueue admits an autoscaled RayCluster only as an elastic job: each scale-up is a new
        // workload slice, admitted against the queue before its pods are ungated.
        ...(c.autoscaling ? { [ELASTIC_JOB_ANNOTATION]: "true" } : {}),
        // The team file wins the fields it sets, where someone changed them since (kubectl, a
        // fixed group's replicas); what others set beside them stays theirs (config/workerGroupsByName.ts).
        "pulumi.com/patchForce": "true",
      },
    },
    spec,
  };
}

/** KubeRay's name for a cluster's head Service (utils/util.go GenerateHeadServiceName); status.head.serviceName says it too. */
export const headServiceName = (cluster: string): string => `${cluster}-head-svc`;
/** The Service of the head's notebook and editor (toolsService). */
export const toolsServiceName = (cluster: string): string => `${cluster}-tools`;

/** ClusterIP Service for the head pod's notebook and editor; undefined when neither is on. */
export function toolsService(c: ResolvedRayCluster): k8s.core.v1.Service | undefined {
  const ports: k8s.core.v1.ServicePort[] = [];
  if (c.notebook)
    ports.push({ name: "notebook", port: TOOL_PORTS.notebook, targetPort: "notebook", protocol: "TCP" });
  if (c.vscode)
    ports.push({ name: "vscode", port: TOOL_PORTS.vscode, targetPort: "vscode", protocol: "TCP" });
  if (ports.length === 0) return undefined;
  return {
    metadata: { name: toolsServiceName(c.name), namespace: c.namespace, labels: clusterLabels(c) },
    spec: {
      type: "ClusterIP",
      selector: { [KUBERAY_LABELS.cluster]: c.name, [KUBERAY_LABELS.nodeType]: "head" },
      ports,
    },
  };
}

function tutorialsConfigMapName(c: ResolvedRayCluster): string {
  return `${c.name}-tutorials`;
}

/** The tutorials as a ConfigMap in the cluster's namespace. */
export function tutorialsConfigMap(
  c: ResolvedRayCluster,
  notebooks: Readonly<Record<string, string>>,
): k8s.core.v1.ConfigMap {
  return {
    metadata: { name: tutorialsConfigMapName(c), namespace: c.namespace, labels: clusterLabels(c) },
    data: { ...notebooks },
  };
}
