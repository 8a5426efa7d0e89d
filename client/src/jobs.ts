/**
 * Ray jobs as KubeRay's RayJob (ray.io/v1): an entrypoint run by a submitter pod (`ray job
 * submit`, K8sJobMode) on a cluster made for the job (`rayClusterSpec`, rendered by the
 * platform's own code as for `create cluster`, removed when the job ends) or on an existing
 * cluster (`clusterSelector`). The working directory travels in a ConfigMap owned by the job:
 * no registry, no bucket; the submitter copies it into an emptyDir and `ray job submit` uploads
 * it to the cluster as the job's runtime_env working_dir.
 *
 * KubeRay's rules a RayJob must pass (ray-operator v1.7.0 controllers/ray/utils/validation.go
 * ValidateRayJobMetadata and ValidateRayJobSpec) are kept here by construction, and Kueue's
 * (v0.19.2 pkg/controller/jobs/rayjob/rayjob_webhook.go): a queued job brings its own cluster,
 * deletes it when it ends, and does not autoscale.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CLIENT_MANAGER, KUBERAY_LABELS, MANAGED_BY_LABEL, QUEUE_LABEL } from "../../config/wire";
import { InputError } from "./clusterSpec";
import { RefusedError, TimeoutError } from "./errors";
import { type KubeApi, paths } from "./kube";
import { podLog } from "./nodes";
import { nextChange } from "./wait";

/** KubeRay: a RayJob's name leaves room for the cluster's "-xxxxx" (utils/constant.go MaxRayJobNameLength = 53 - 6). */
export const MAX_JOB_NAME = 47;
/** What a ConfigMap can carry (the API server refuses more than 1 MiB of data), less room for its keys and metadata. */
export const WORKING_DIR_LIMIT_BYTES = 1_000_000;
/** Left out of the working directory, as Ray's own packaging leaves out .git. */
const SKIPPED = new Set([
  ".git",
  "__pycache__",
  ".venv",
  "venv",
  "node_modules",
  ".mypy_cache",
  ".pytest_cache",
  ".ipynb_checkpoints",
]);
const WORKING_DIR = "/working-dir";
const WORKING_DIR_FILES = "/working-dir-files";
/** Pods of the submitter Job, by the label Kubernetes' Job controller puts on them. */
const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";

export interface WorkingDirFile {
  readonly path: string;
  readonly bytes: number;
  readonly content: Buffer;
}

/** The files of `dir`, relative paths with "/", refused clearly when they cannot travel in a ConfigMap. */
export function readWorkingDir(dir: string): WorkingDirFile[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (err) {
    throw new InputError([
      `--working-dir: cannot read ${dir} (${(err as NodeJS.ErrnoException).code}); check the path.`,
    ]);
  }
  if (!stat.isDirectory())
    throw new InputError([
      `--working-dir: ${dir} is not a directory; give the directory your entrypoint runs in.`,
    ]);
  const files: WorkingDirFile[] = [];
  const walk = (rel: string) => {
    for (const entry of fs
      .readdirSync(path.join(dir, rel), { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (SKIPPED.has(entry.name) || entry.name.endsWith(".pyc")) continue;
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(r);
      else if (entry.isFile()) {
        const content = fs.readFileSync(path.join(dir, r));
        files.push({ path: r, bytes: content.length, content });
      }
    }
  };
  walk("");
  if (files.length === 0) throw new InputError([`--working-dir: ${dir} has no files to send.`]);
  const total = files.reduce((n, f) => n + f.bytes, 0);
  if (total > WORKING_DIR_LIMIT_BYTES) {
    const biggest = [...files]
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 3)
      .map((f) => `${f.path} (${kib(f.bytes)})`)
      .join(", ");
    throw new InputError([
      `--working-dir: ${dir} holds ${kib(total)} in ${files.length} file${files.length === 1 ? "" : "s"}; a job's working directory travels in a ConfigMap, which holds at most ${kib(WORKING_DIR_LIMIT_BYTES)}. The biggest: ${biggest}. Send code only: read data from the team's bucket (gs://...) or a URL in the job, and leave out what it does not need.`,
    ]);
  }
  return files;
}

/** Sizes as people read them: 1.1 MB, 12 kB. */
const kib = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.ceil(n / 1e3)} kB`);

/** `python train.py --lr 0.1` from argv, quoted for the shell that `ray job submit` runs it in. */
export function shellJoin(argv: readonly string[]): string {
  return argv
    .map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'"'"'`)}'`))
    .join(" ");
}

export interface JobSpecInput {
  readonly name: string;
  readonly namespace: string;
  readonly entrypoint: readonly string[];
  /** A new cluster's spec (rendered like `create cluster`), or the existing cluster to run on. */
  readonly cluster:
    | { readonly spec: Record<string, any>; readonly labels: Record<string, string> }
    | { readonly existing: string; readonly headTemplate: Record<string, any> };
  readonly files?: readonly WorkingDirFile[];
  /** After the job ends: how long its cluster and record stay (KubeRay's ttlSecondsAfterFinished). */
  readonly ttlSeconds: number;
  /** The job fails after this long running (activeDeadlineSeconds). */
  readonly deadlineSeconds?: number;
}

export interface JobObjects {
  readonly rayJob: Record<string, any>;
  /** Owned by the RayJob once it exists. */
  readonly workingDir?: Record<string, any>;
}

/** The RayJob and its working-directory ConfigMap. */
export function renderJob(input: JobSpecInput): JobObjects {
  const { name, namespace } = input;
  const newCluster = "spec" in input.cluster;
  const head = newCluster
    ? (input.cluster as { spec: Record<string, any> }).spec.headGroupSpec.template
    : (input.cluster as { headTemplate: Record<string, any> }).headTemplate;
  const ray = head.spec.containers[0];
  const labels = {
    [MANAGED_BY_LABEL]: CLIENT_MANAGER,
    ...(newCluster ? pick((input.cluster as { labels: Record<string, string> }).labels, [QUEUE_LABEL]) : {}),
  };
  const files = input.files ?? [];
  const keyOf = (i: number) => `f${i}`;
  const workingDir = files.length
    ? {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${name}-working-dir`, namespace, labels: { [MANAGED_BY_LABEL]: CLIENT_MANAGER } },
        data: Object.fromEntries(
          files.flatMap((f, i) => (isText(f.content) ? [[keyOf(i), f.content.toString("utf8")]] : [])),
        ),
        binaryData: Object.fromEntries(
          files.flatMap((f, i) => (isText(f.content) ? [] : [[keyOf(i), f.content.toString("base64")]])),
        ),
      }
    : undefined;
  const small = { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } };
  const container = (c: Record<string, any>) => ({
    image: ray.image,
    imagePullPolicy: ray.imagePullPolicy,
    securityContext: ray.securityContext,
    resources: small,
    ...c,
  });
  // The submitter runs where the head runs, as the head runs: the same image, account and placement.
  const submitter = {
    metadata: { labels: { [MANAGED_BY_LABEL]: CLIENT_MANAGER } },
    spec: {
      restartPolicy: "Never",
      ...pick(head.spec, [
        "serviceAccountName",
        "nodeSelector",
        "tolerations",
        "securityContext",
        "priorityClassName",
      ]),
      ...(workingDir
        ? {
            // A ConfigMap volume holds symlinks into hidden ..data directories: copy the files themselves.
            initContainers: [
              container({
                name: "working-dir",
                command: [
                  "python",
                  "-c",
                  "import shutil, sys; shutil.copytree(sys.argv[1], sys.argv[2], dirs_exist_ok=True, ignore=lambda d, names: [n for n in names if n.startswith('..')])",
                  WORKING_DIR_FILES,
                  WORKING_DIR,
                ],
                volumeMounts: [
                  { name: "working-dir-files", mountPath: WORKING_DIR_FILES, readOnly: true },
                  { name: "working-dir", mountPath: WORKING_DIR },
                ],
              }),
            ],
            volumes: [
              {
                name: "working-dir-files",
                configMap: {
                  name: workingDir.metadata.name,
                  items: files.map((f, i) => ({ key: keyOf(i), path: f.path })),
                },
              },
              { name: "working-dir", emptyDir: {} },
            ],
          }
        : {}),
      containers: [
        container({
          name: "ray-job-submitter",
          ...(workingDir
            ? { volumeMounts: [{ name: "working-dir", mountPath: WORKING_DIR, readOnly: true }] }
            : {}),
        }),
      ],
    },
  };
  const rayJob = {
    apiVersion: "ray.io/v1",
    kind: "RayJob",
    metadata: { name, namespace, labels },
    spec: {
      entrypoint: shellJoin(input.entrypoint),
      ...(workingDir ? { runtimeEnvYAML: `working_dir: ${WORKING_DIR}\n` } : {}),
      submissionMode: "K8sJobMode",
      submitterPodTemplate: submitter,
      // A failed submitter is the job's failure, not something to run twice.
      submitterConfig: { backoffLimit: 0 },
      ...(input.deadlineSeconds ? { activeDeadlineSeconds: input.deadlineSeconds } : {}),
      ...(newCluster
        ? {
            rayClusterSpec: (input.cluster as { spec: Record<string, any> }).spec,
            shutdownAfterJobFinishes: true,
            ttlSecondsAfterFinished: input.ttlSeconds,
          }
        : {
            clusterSelector: { [KUBERAY_LABELS.cluster]: (input.cluster as { existing: string }).existing },
          }),
    },
  };
  return { rayJob, workingDir };
}

/** UTF-8 text without NUL: data; anything else: binaryData. */
function isText(b: Buffer): boolean {
  return !b.includes(0) && Buffer.from(b.toString("utf8"), "utf8").equals(b);
}

function pick<T extends Record<string, any>>(o: T | undefined, keys: readonly string[]): Partial<T> {
  return Object.fromEntries(keys.filter((k) => o?.[k] !== undefined).map((k) => [k, o![k]])) as Partial<T>;
}

/** A RayJob as the API server returns it. */
export interface StoredRayJob {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
  };
  spec: Record<string, any>;
  status?: {
    jobStatus?: string;
    jobDeploymentStatus?: string;
    rayClusterName?: string;
    jobId?: string;
    dashboardURL?: string;
    startTime?: string;
    endTime?: string;
    message?: string;
    reason?: string;
    failed?: number;
    succeeded?: number;
  };
}

/** Ray's terminal job states (ray.job_submission.JobStatus), as KubeRay copies them into status.jobStatus. */
const FINISHED = new Set(["SUCCEEDED", "FAILED", "STOPPED"]);
/** KubeRay's deployment states that end a RayJob (rayjob_types.go JobDeploymentStatus). */
const DEPLOYMENT_ENDED = new Set(["Complete", "Failed"]);

export class Job {
  constructor(
    private readonly api: KubeApi,
    public raw: StoredRayJob,
  ) {}

  get name(): string {
    return this.raw.metadata.name;
  }
  get namespace(): string {
    return this.raw.metadata.namespace;
  }
  /** Ray's job status (PENDING, RUNNING, SUCCEEDED, FAILED, STOPPED), or KubeRay's deployment status before Ray has one. */
  get status(): string {
    const s = this.raw.status ?? {};
    if (s.jobStatus) return s.jobStatus;
    if (this.raw.spec.suspend) return "Queued";
    return s.jobDeploymentStatus || "New";
  }
  get finished(): boolean {
    return (
      FINISHED.has(this.raw.status?.jobStatus ?? "") ||
      DEPLOYMENT_ENDED.has(this.raw.status?.jobDeploymentStatus ?? "")
    );
  }
  get succeeded(): boolean {
    return this.raw.status?.jobStatus === "SUCCEEDED" && this.raw.status?.jobDeploymentStatus !== "Failed";
  }
  /** The cluster it runs on: the one KubeRay made for it, or the existing one it named. */
  get clusterName(): string | undefined {
    return this.raw.status?.rayClusterName || this.raw.spec.clusterSelector?.[KUBERAY_LABELS.cluster];
  }
  get entrypoint(): string {
    return this.raw.spec.entrypoint;
  }

  async refresh(): Promise<this> {
    this.raw = await this.api.get<StoredRayJob>(paths.rayJob(this.namespace, this.name));
    return this;
  }

  /** The driver's output: the submitter pod's log (`ray job submit` follows the job's logs); `follow` until it ends. */
  async logs(opts: {
    follow?: boolean;
    tail?: number;
    write: (text: string) => void;
    signal?: AbortSignal;
  }): Promise<void> {
    const pod = await this.submitterPod();
    if (!pod)
      throw new RefusedError(
        `${this.namespace}/${this.name} has no submitter pod yet (${this.status}); \`rayctl job describe ${this.name} -n ${this.namespace}\` says why, or add --wait.`,
      );
    await podLog(this.api, this.namespace, pod.metadata.name, {
      container: pod.spec.containers[0].name,
      ...opts,
    });
  }

  /** The newest pod of the submitter Job (KubeRay names the Job like the RayJob). */
  async submitterPod(): Promise<any | undefined> {
    const pods = await this.api.get<{ items: any[] }>(paths.pods(this.namespace), {
      labelSelector: `${JOB_NAME_LABEL}=${this.name}`,
    });
    return pods.items.sort((a, b) =>
      a.metadata.creationTimestamp < b.metadata.creationTimestamp ? 1 : -1,
    )[0];
  }

  /**
   * Until the job ends (true when it succeeded); with `write`, the driver's output as it comes.
   * Wakes on each change of the RayJob (a watch), as waiting for a cluster does.
   */
  async wait(
    opts: {
      timeoutSeconds?: number;
      write?: (text: string) => void;
      onProgress?: (line: string) => void;
      pollMs?: number;
    } = {},
  ): Promise<boolean> {
    const deadline = Date.now() + (opts.timeoutSeconds ?? 3600) * 1000;
    let following: Promise<void> | undefined;
    const stopLogs = new AbortController();
    let last = "";
    try {
      for (;;) {
        await this.refresh();
        const line = `${this.namespace}/${this.name}: ${this.status}${this.raw.status?.message ? ` (${this.raw.status.message})` : ""}`;
        if (line !== last) opts.onProgress?.(line);
        last = line;
        // The driver's output, once the submitter runs (a pending pod has no log yet).
        const pod = opts.write && !following ? await this.submitterPod() : undefined;
        if (pod && pod.status?.phase !== "Pending")
          following = this.logs({ follow: true, write: opts.write!, signal: stopLogs.signal }).catch(
            () => undefined,
          );
        if (this.finished) {
          // The driver's last lines come before the verdict.
          if (following) await Promise.race([following, new Promise((r) => setTimeout(r, 5000))]);
          return this.succeeded;
        }
        if (Date.now() >= deadline) {
          throw new TimeoutError(
            `${this.namespace}/${this.name} had not ended after ${opts.timeoutSeconds ?? 3600}s (${this.status}); it keeps running: \`rayctl job logs ${this.name} -n ${this.namespace} -f\` follows it.`,
          );
        }
        await nextChange(
          this.api,
          paths.rayJobs(this.namespace),
          this.raw.metadata,
          Math.min(opts.pollMs ?? 5000, deadline - Date.now()),
        );
      }
    } finally {
      stopLogs.abort();
    }
  }

  /**
   * Stop a running job: its deadline becomes now, so KubeRay fails it (DeadlineExceeded) and
   * removes its cluster; the record stays for `job describe`. A job that has not started yet is deleted.
   */
  async stop(): Promise<"stopped" | "deleted"> {
    const started = this.raw.status?.startTime ? Date.parse(this.raw.status.startTime) : undefined;
    if (started === undefined || this.status === "Queued") {
      await this.delete();
      return "deleted";
    }
    const deadline = Math.max(1, Math.floor((Date.now() - started) / 1000));
    await this.api.request("PATCH", paths.rayJob(this.namespace, this.name), {
      body: { spec: { activeDeadlineSeconds: deadline } },
      contentType: "application/merge-patch+json",
    });
    return "stopped";
  }

  /** Delete the RayJob: its cluster, submitter, token and working directory go with it (owner references). */
  async delete(): Promise<void> {
    await this.api.request("DELETE", paths.rayJob(this.namespace, this.name), {
      body: {
        apiVersion: "v1",
        kind: "DeleteOptions",
        propagationPolicy: "Background",
        preconditions: { uid: this.raw.metadata.uid },
      },
    });
  }
}
