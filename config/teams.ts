/**
 * Team files: read every file of the teams directory, validate each (schema, names, members,
 * RayClusters, quota) and across files, and resolve them into ResolvedTeams.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type Catalog } from "./catalog";
import { type ConfigIssue, type PathSegment, type Report, show } from "./errors";
import { checkCohort, checkTeamQueue, resolveTeamQueue, type ResolvedTeamQueue } from "./kueue";
import { type ResolvedPool } from "./nodePools";
import { checkObjectQuota } from "./objectQuota";
import { CONTAINER_EPHEMERAL_DEFAULT_BYTES, formatMemory, parseQuantity } from "./quantity";
import {
  clusterDemand,
  clusterEphemeralBytes,
  GCSFUSE_EPHEMERAL_BYTES,
  gpuRemedy,
  resolveRayCluster,
  type ResolvedRayCluster,
} from "./rayClusters";
import { dns1123LabelProblem, suggest, zodIssues } from "./schema";
import { reporter, YamlSource } from "./source";
import { type Demand } from "./types";
import { type ObjectQuota, rayClusterSchema, teamSchema, type TeamValues } from "./teamFile";

/** The shared namespace every team's members may use. */
export const PLAYGROUND = "ray-playground";
/** Service account of every team's Ray pods. */
export const RAY_SERVICE_ACCOUNT = "ray";

/** Prefix of every team's bucket name in a project; the team name follows. */
export function teamBucketPrefix(project: string): string {
  return `${project}-ray-`;
}

function teamBucketName(project: string, team: string): string {
  return teamBucketPrefix(project) + team;
}

export interface Member {
  readonly kind: "User" | "Group";
  /** Email address. */
  readonly name: string;
}

interface TeamQuota {
  /** As written in the team file (Kubernetes quantities). */
  readonly cpu: string;
  readonly memory: string;
  readonly storage: string;
  readonly rayClusters?: number;
  readonly ephemeralStorage: string;
  /** Most objects of each kind in the namespace. */
  readonly objects: Readonly<ObjectQuota>;
  /** GPUs per offered type; types the team file leaves out are 0. */
  readonly gpus: Readonly<Record<string, number>>;
}

export interface ResolvedTeam {
  readonly name: string;
  /** Team file, relative to the project. */
  readonly file: string;
  readonly description: string;
  readonly owners: readonly Member[];
  readonly contributors: readonly Member[];
  readonly quota: TeamQuota;
  /** The team's Kueue ClusterQueue: nominal quota, borrowing and lending limits, weight. */
  readonly queue: ResolvedTeamQueue;
  /** GCS bucket name (gke mode, when the team file asks for one). */
  readonly bucket?: string;
  readonly serviceAccountName: string;
  readonly rayClusters: readonly ResolvedRayCluster[];
}

interface TeamsContext {
  readonly mode: "gke" | "existing";
  readonly project?: string;
  readonly pools: readonly ResolvedPool[];
  readonly catalog: Catalog;
  readonly defaultRayVersion: string;
  readonly imageRegistry: string;
  /** Namespaces a team may not take (system, operator, monitoring). */
  readonly reservedNamespaces: readonly string[];
  /** Whether Google Groups for RBAC is configured (gke.securityGroup). */
  readonly groupsEnabled: boolean;
}

/** Load and validate every team file under `dir`; `displayDir` is how messages name it. */
export function loadTeams(
  dir: string,
  displayDir: string,
  ctx: TeamsContext,
  issues: ConfigIssue[],
  notes: string[],
): ResolvedTeam[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    issues.push({
      file: displayDir,
      path: "",
      message: `the teams directory does not exist; create it with one YAML file per team, or set ray-platform:teamsDir.`,
    });
    return [];
  }
  // A YAML file that is not read would delete its team's access on the next deploy: never skip one quietly.
  for (const e of entries.filter((e) => /\.ya?ml$/i.test(e.name))) {
    const file = path.posix.join(displayDir, e.name);
    if (e.name.startsWith(".")) {
      issues.push({
        file,
        path: "",
        message: `is not read: it is hidden (its name starts with "."); rename it to ${e.name.replace(/^\.+/, "")} if it is a team, or move it out of the teams directory.`,
      });
    } else if (e.isSymbolicLink()) {
      issues.push({
        file,
        path: "",
        message:
          "is a symbolic link; a team file must be a regular file in the repository (a link can change without review or point outside it): copy the file instead.",
      });
    } else if (!e.isFile()) {
      issues.push({
        file,
        path: "",
        message:
          "is not a regular file (a directory or device); a team file must be a file: remove it or rename it without .yaml.",
      });
    } else if (!/\.ya?ml$/.test(e.name)) {
      issues.push({
        file,
        path: "",
        message: `is not read: team files end in lowercase .yaml; rename it to ${e.name.replace(/\.ya?ml$/i, ".yaml")}.`,
      });
    }
  }
  const files = entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name) && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
  const teams: ResolvedTeam[] = [];
  const byName = new Map<string, string>();
  const cohort: Parameters<typeof checkCohort>[0][number][] = [];
  for (const fileName of files) {
    const file = path.posix.join(displayDir, fileName);
    const source = YamlSource.read(path.join(dir, fileName), file, issues);
    if (source.data === undefined) continue;
    const team = loadTeam(source, fileName.replace(/\.ya?ml$/, ""), ctx, issues, notes);
    if (!team) continue;
    const other = byName.get(team.name);
    if (other) {
      issues.push(
        source.issue(
          ["name"],
          `team "${team.name}" is already defined in ${other}; each team has one file, delete one of them.`,
        ),
      );
      continue;
    }
    byName.set(team.name, file);
    teams.push(team);
    cohort.push({ name: team.name, queue: team.queue, report: reporter(source, issues) });
  }
  checkCohort(cohort);
  // Quota is admission, not nodes: say when the teams' GPU quotas add up to more than the pools hold.
  const gpuTypes = [...new Set(teams.flatMap((t) => Object.keys(t.quota.gpus)))].sort();
  for (const type of gpuTypes) {
    const sum = teams.reduce((n, t) => n + (t.quota.gpus[type] ?? 0), 0);
    const capacity = gpuCapacity(ctx.pools, type);
    if (capacity && sum > capacity.gpus) {
      notes.push(
        `the teams' ${type} quotas add up to ${sum} GPUs, more than the pools hold at maxNodes (${capacity.gpus}: ${capacity.how}): Kueue admits by quota, so clusters admitted together may wait for nodes that never come; raise the pools' maxNodes or lower quotas.`,
      );
    }
  }
  return teams;
}

/** GPUs of one type the stack's pools hold at maxNodes, and how ("pool t4: 16 nodes x 1"). */
function gpuCapacity(
  pools: readonly ResolvedPool[],
  type: string,
): { gpus: number; how: string } | undefined {
  const holding = pools.filter((p) => p.gpu?.type === type);
  if (holding.length === 0) return undefined;
  return {
    gpus: holding.reduce((n, p) => n + p.maxNodes * p.gpu!.count, 0),
    how: holding.map((p) => `pool ${p.name}: ${p.maxNodes} nodes x ${p.gpu!.count}`).join(", "),
  };
}

function loadTeam(
  source: YamlSource,
  baseName: string,
  ctx: TeamsContext,
  issues: ConfigIssue[],
  notes: string[],
): ResolvedTeam | undefined {
  const report = reporter(source, issues);
  if (source.data === null || typeof source.data !== "object" || Array.isArray(source.data)) {
    report(
      [],
      `must be a mapping of team settings (name, description, owners, quota, ...), not ${Array.isArray(source.data) ? "a list" : show(source.data)}; see teams/ray-playground.yaml.`,
    );
    return undefined;
  }
  const offered = new Set(ctx.pools.flatMap((p) => (p.gpu ? [p.gpu.type] : [])));
  const parsed = teamSchema.safeParse(source.data, { reportInput: true });
  if (!parsed.success) {
    const schemaIssues = zodIssues(parsed.error);
    for (const i of schemaIssues) report(i.path, misplacedGpuQuota(i, ctx) ?? i.message, { key: i.key });
    checkWhatParsed(
      source.data as Record<string, unknown>,
      schemaIssues.map((i) => i.path),
      baseName,
      ctx,
      offered,
      report,
    );
    return undefined;
  }
  const before = issues.length;
  const values = parsed.data;
  checkTeamName(values.name, baseName, ctx, report);
  if (!ctx.groupsEnabled && ctx.mode === "gke") {
    (["owners", "contributors"] as const).forEach((role) =>
      values[role].forEach((m, i) => {
        if (m.startsWith("group:"))
          report(
            [role, i],
            `${show(m)} is a Google group, but the stack has no gke.securityGroup, so GKE would ignore it; set gke.securityGroup (Google Groups for RBAC) or list users.`,
          );
      }),
    );
  }
  checkGpuTypes(Object.keys(values.quota.gpus), offered, ctx.catalog.gpuTypes, report);
  const bucket = values.bucket ? teamBucket(values.name, ctx, report) : undefined;
  if (values.bucket && ctx.mode !== "gke")
    notes.push(`${source.file}: bucket skipped (mode existing creates no GCP resources).`);

  const names = new Map<string, number>();
  const rayClusters: ResolvedRayCluster[] = [];
  values.rayClusters.forEach((rc, i) => {
    const first = names.get(rc.name);
    if (first !== undefined) {
      report(
        ["rayClusters", i, "name"],
        `RayCluster "${rc.name}" is already defined at rayClusters[${first}]; names must be unique in the namespace, rename one.`,
      );
      return;
    }
    names.set(rc.name, i);
    const resolved = resolveRayCluster(
      rc,
      ["rayClusters", i],
      {
        ...ctx,
        team: values.name,
        serviceAccountName: RAY_SERVICE_ACCOUNT,
        bucket,
        knownGpuTypes: ctx.catalog.gpuTypes,
      },
      report,
    );
    if (resolved) rayClusters.push(resolved);
  });
  // A quota the pools can never fill is no quota: the team would wait for nodes that never come.
  for (const [type, n] of Object.entries(values.quota.gpus)) {
    const capacity = gpuCapacity(ctx.pools, type);
    if (capacity && n > capacity.gpus) {
      report(
        ["quota", "gpus", type],
        `is ${n}, more ${type} GPUs than the stack's pools hold at maxNodes (${capacity.gpus}: ${capacity.how}); lower it to at most ${capacity.gpus}, or ask the platform team to raise the pools' maxNodes.`,
      );
    }
  }
  // Independent of every other check (it counts the file's entries): told in the same run.
  if (values.quota.rayClusters !== undefined && values.rayClusters.length > values.quota.rayClusters) {
    report(
      ["quota", "rayClusters"],
      `is ${values.quota.rayClusters}, but the team file defines ${values.rayClusters.length} RayClusters; raise it or remove clusters.`,
    );
  }
  const gpuTypes = [...offered].sort();
  const queue = resolveTeamQueue(values.quota, gpuTypes);
  if (issues.length === before)
    checkTeamQueue(
      values.quota,
      queue,
      rayClusters.map((c) => ({ name: c.name, demand: clusterDemand(c, "replicas") })),
      gpuTypes,
      report,
    );
  if (issues.length === before) {
    checkQuota(values, queue, rayClusters, report);
    checkObjectQuota(values, rayClusters, report);
  }
  if (issues.length > before) return undefined;

  const gpus = Object.fromEntries(gpuTypes.map((t) => [t, values.quota.gpus[t] ?? 0]));
  return {
    name: values.name,
    file: source.file,
    description: values.description,
    owners: values.owners.map(toMember),
    contributors: values.contributors.map(toMember),
    quota: {
      cpu: String(values.quota.cpu),
      memory: String(values.quota.memory),
      storage: String(values.quota.storage),
      rayClusters: values.quota.rayClusters,
      ephemeralStorage: String(values.quota.ephemeralStorage),
      objects: { ...values.quota.objects },
      gpus,
    },
    queue,
    bucket,
    serviceAccountName: RAY_SERVICE_ACCOUNT,
    rayClusters,
  };
}

/** A GPU type dedented out of quota.gpus (`quota.a100`): say where it goes instead of "remove it". */
function misplacedGpuQuota(i: { path: PathSegment[]; key: boolean }, ctx: TeamsContext): string | undefined {
  const [quota, key, ...rest] = i.path;
  if (!i.key || quota !== "quota" || typeof key !== "string" || rest.length > 0) return undefined;
  const gpu = suggest(key, ctx.catalog.gpuTypes);
  if (!gpu || gpu.toLowerCase() !== key.toLowerCase()) return undefined;
  return `unknown key ${show(key)}; a GPU quota goes under gpus: write it as quota.gpus.${gpu} (a "gpus:" line under quota, then "${gpu}: <count>" indented below it).`;
}

const within = (path: readonly PathSegment[], prefix: readonly PathSegment[]) =>
  prefix.length <= path.length && prefix.every((p, i) => p === path[i]);

/**
 * When the schema refuses part of a team file, the checks of the parts it accepted still run,
 * so that every independent mistake is reported in one run. Problems at or under a refused
 * field are its consequences and are held back.
 */
function checkWhatParsed(
  raw: Record<string, unknown>,
  refused: readonly PathSegment[][],
  baseName: string,
  ctx: TeamsContext,
  offered: ReadonlySet<string>,
  report: Report,
): void {
  const independent: Report = (path, message, opts) => {
    if (!refused.some((r) => within(path, r) || within(r, path))) report(path, message, opts);
  };
  const name = typeof raw.name === "string" ? raw.name : baseName;
  if (typeof raw.name === "string") checkTeamName(raw.name, baseName, ctx, independent);
  const gpus = (raw.quota as Record<string, unknown> | undefined)?.gpus;
  if (gpus && typeof gpus === "object" && !Array.isArray(gpus))
    checkGpuTypes(Object.keys(gpus), offered, ctx.catalog.gpuTypes, independent);
  if (raw.bucket === true) teamBucket(name, ctx, independent);
  if (!Array.isArray(raw.rayClusters)) return;
  raw.rayClusters.forEach((rc, i) => {
    const at = ["rayClusters", i];
    // The cluster without its refused fields: what is left is checked as usual.
    const rest = withoutPaths(
      rc,
      refused.filter((r) => within(r, at) && r.length > at.length).map((r) => r.slice(at.length)),
    );
    const values = rayClusterSchema.safeParse(rest);
    if (values.success)
      resolveRayCluster(
        values.data,
        at,
        {
          ...ctx,
          team: name,
          serviceAccountName: RAY_SERVICE_ACCOUNT,
          bucket: undefined,
          knownGpuTypes: ctx.catalog.gpuTypes,
        },
        independent,
      );
  });
}

function withoutPaths(value: unknown, paths: readonly PathSegment[][]): unknown {
  const copy = structuredClone(value);
  for (const path of paths) {
    let node = copy as Record<PathSegment, unknown> | undefined;
    for (const seg of path.slice(0, -1)) node = node?.[seg] as Record<PathSegment, unknown> | undefined;
    const last = path.at(-1);
    if (node && typeof node === "object" && last !== undefined) delete node[last];
  }
  return copy;
}

function checkGpuTypes(
  types: readonly string[],
  offered: ReadonlySet<string>,
  known: readonly string[],
  report: Report,
): void {
  for (const type of types) {
    if (offered.has(type)) continue;
    const s = suggest(type, [...offered]);
    const lowerCase = [...offered].find((t) => t === type.toLowerCase());
    const message = lowerCase
      ? `${show(type)} is not a GPU this stack offers (offered: ${[...offered].join(", ")}); GPU types are lower case: write ${lowerCase}.`
      : `${show(type)} is not a GPU this stack offers (offered: ${[...offered].join(", ") || "none"}${s ? `; did you mean "${s}"?` : ""}); ${s ? `write ${s}, ` : ""}remove it or ${gpuRemedy(type, known.includes(type) ? undefined : known)}.`;
    report(["quota", "gpus", type], message, { key: true });
  }
}

/**
 * The team's bucket name, checked against GCS's naming rules
 * (https://cloud.google.com/storage/docs/buckets#naming): 3-63 characters, no "google" or
 * close misspellings, not starting with "goog".
 */
function teamBucket(team: string, ctx: TeamsContext, report: Report): string | undefined {
  if (ctx.mode !== "gke") return undefined;
  const bucket = teamBucketName(ctx.project!, team);
  if (bucket.length > 63)
    report(
      ["bucket"],
      `the bucket name "${bucket}" would have ${bucket.length} characters, more than GCS allows (63); shorten the team name or turn the bucket off.`,
    );
  else if (/g[o0]{2}g[l1]e/.test(bucket) || bucket.startsWith("goog")) {
    report(
      ["bucket"],
      `the bucket name "${bucket}" contains "google" (or starts with "goog"), which GCS refuses; rename the team or turn the bucket off.`,
    );
  } else return bucket;
  return undefined;
}

function checkTeamName(name: string, baseName: string, ctx: TeamsContext, report: Report): void {
  const problem = dns1123LabelProblem(name);
  if (problem) {
    report(["name"], `${problem} The team name is its namespace.`);
    return;
  }
  if (name !== baseName) {
    report(
      ["name"],
      `the team is named "${name}" but its file is ${baseName}.yaml; the file name must be the team name, rename one of them.`,
    );
  }
  if (ctx.reservedNamespaces.includes(name) || name.startsWith("kube-") || name.startsWith("gke-")) {
    report(
      ["name"],
      `"${name}" is a system or platform namespace (${["default", "kube-*", "gke-*", ...ctx.reservedNamespaces.filter((n) => n !== "default")].join(", ")}); pick another team name.`,
    );
  }
}

function toMember(m: string): Member {
  const [kind, name] = [m.slice(0, m.indexOf(":")), m.slice(m.indexOf(":") + 1)];
  return { kind: kind === "group" ? "Group" : "User", name };
}

/**
 * Each of the team's RayClusters must fit, alone and at its maximum size, in what Kueue can
 * ever admit for the team: its quota plus its borrowing limit. Together they may ask for more
 * than the quota: Kueue queues what does not fit (docs/queues.md).
 */
function checkQuota(
  values: TeamValues,
  queue: ResolvedTeamQueue,
  clusters: readonly ResolvedRayCluster[],
  report: Report,
): void {
  const ceiling = queue.ceiling;
  const borrowed = (what: string) => (values.quota.borrowing ? ` plus quota.borrowing.${what}` : "");
  const over = (d: Demand) => {
    const out: { path: string; need: string; have: string }[] = [];
    if (d.cpu > ceiling.cpu + 1e-9)
      out.push({
        path: `quota.cpu${borrowed("cpu")}`,
        need: `${round(d.cpu)} CPUs`,
        have: String(round(ceiling.cpu)),
      });
    if (d.memoryBytes > ceiling.memoryBytes)
      out.push({
        path: `quota.memory${borrowed("memory")}`,
        need: `${round(d.memoryBytes / 2 ** 30)}Gi of memory`,
        have: formatMemory(ceiling.memoryBytes),
      });
    for (const [t, n] of Object.entries(d.gpus)) {
      if (n > (ceiling.gpus[t] ?? 0))
        out.push({
          path: `quota.gpus.${t}${borrowed(`gpus.${t}`)}`,
          need: `${n} ${t} GPUs`,
          have: String(ceiling.gpus[t] ?? 0),
        });
    }
    return out;
  };
  const ephemeralQuota = parseQuantity(values.quota.ephemeralStorage)!;
  clusters.forEach((c) => {
    const i = values.rayClusters.findIndex((rc) => rc.name === c.name);
    const ephemeral = clusterEphemeralBytes(c, "maxReplicas");
    if (ephemeral > ephemeralQuota) {
      report(
        ["rayClusters", i, "name"],
        `"${c.name}" at maxReplicas asks for ${formatMemory(ephemeral)} of ephemeral storage (${formatMemory(CONTAINER_EPHEMERAL_DEFAULT_BYTES)} per container by the namespace's defaults${c.bucket ? `, ${formatMemory(GCSFUSE_EPHEMERAL_BYTES)} per Cloud Storage FUSE sidecar` : ""}), above quota.ephemeralStorage (${String(values.quota.ephemeralStorage)}); its last pods would be refused, as Kueue does not count ephemeral storage. Lower maxReplicas or raise quota.ephemeralStorage.`,
      );
    }
    for (const o of over(clusterDemand(c, "maxReplicas"))) {
      const raise = o.path.includes(" plus ")
        ? o.path.replace(" plus ", " or ")
        : `${o.path} (or borrow: ${o.path.replace("quota.", "quota.borrowing.")})`;
      report(
        ["rayClusters", i, "name"],
        `"${c.name}" at maxReplicas asks for ${o.need}, above ${o.path} (${o.have}); Kueue could never admit it at that size. Lower maxReplicas or raise ${raise}.`,
      );
    }
  });
}

const round = (n: number) => Math.round(n * 100) / 100;
