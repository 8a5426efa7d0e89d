/**
 * The whole configuration, loaded and validated in one go: stack config, node pools, KubeRay
 * version and every team file. Either everything is valid and a PlatformConfig comes back,
 * or a ConfigError lists every problem; nothing in between.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { load as loadYaml } from "js-yaml";
import { checkPrices, prices, type PriceTable } from "../cost/prices";
import { type Catalog, catalog as sharedCatalog, type PinnedOperator } from "./catalog";
import { ConfigError, type ConfigIssue, type PathSegment, type Report, show } from "./errors";
import { type KueueSettings } from "./kueue";
import { type ResolvedPool, resolveNodePools } from "./nodePools";
import { imageReferenceProblem, suggest, zodIssues } from "./schema";
import { reporter, YamlSource } from "./source";
import { checkServiceRange } from "./objectQuota";
import { checkOperatorResources, checkRanges } from "./stackChecks";
import {
  type GkeValues,
  MONITORING_NAMESPACES,
  SCALAR_KEYS,
  STRUCTURED_KEYS,
  stackSchema,
  type StackValues,
} from "./stackFile";
import { loadTeams, PLAYGROUND, type ResolvedTeam } from "./teams";
import { cacheKey, userCacheDir, writeCacheEntry } from "./userCache";
import { KUEUE_NAMESPACE } from "./wire";
import { workerGroupsByName } from "./workerGroupsByName";

/** Artifact Registry remote repository (Docker Hub proxy) the cluster pulls Ray images through. */
export const IMAGE_REPOSITORY_ID = "docker-hub";

/** The address of that repository, the registry prefix of Ray images in gke mode. */
export function dockerHubProxy(gke: { readonly region: string; readonly project: string }): string {
  return `${gke.region}-docker.pkg.dev/${gke.project}/${IMAGE_REPOSITORY_ID}`;
}

export interface GkeSettings extends GkeValues {
  readonly project: string;
  readonly region: string;
  /** Cluster location: the region (regional) or the first zone (zonal). */
  readonly clusterLocation: string;
}

export interface KubeRaySettings {
  readonly version: string;
  readonly namespace: string;
  readonly values: Readonly<Record<string, unknown>>;
  /** The pinned CRDs for `version`, parsed from data/kuberay/<version>/crds. */
  readonly crds: readonly Record<string, unknown>[];
  /** A local chart directory, as configured; undefined: the chart's repository. */
  readonly chart?: string;
}

interface CommonConfig {
  readonly stack: string;
  readonly monitoringNamespace: string;
  readonly pools: readonly ResolvedPool[];
  readonly kuberay: KubeRaySettings;
  readonly kueue: KueueSettings;
  /** GPU types the pools offer, friendly name -> GKE accelerator type. */
  readonly gpuTypes: Readonly<Record<string, string>>;
  /** Registry prefix of Ray images. */
  readonly imageRegistry: string;
  readonly defaultRayVersion: string;
  /** Ray images (data/ray-images.yaml) and GPU accelerators (data/gke-accelerators.yaml), published for the client. */
  readonly catalog: Pick<Catalog, "rayImages" | "accelerators">;
  readonly teams: readonly ResolvedTeam[];
  /** Tutorial notebooks from tutorials/, file name -> content. */
  readonly tutorials: Readonly<Record<string, string>>;
  /** Things skipped on purpose, for the plan and `pulumi up` to show. */
  readonly notes: readonly string[];
}

/** The program builds the GKE cluster (and its network, pools, registry proxy) itself. */
interface GkePlatformConfig extends CommonConfig {
  readonly mode: "gke";
  readonly gke: GkeSettings;
  /** data/gke-prices.yaml, read here with the rest, so the facts price pools without reading it. */
  readonly prices: PriceTable;
}

/** The program uses a cluster that already exists, through a kubeconfig context. */
interface ExistingPlatformConfig extends CommonConfig {
  readonly mode: "existing";
  readonly kubeconfigContext: string;
}

export type PlatformConfig = GkePlatformConfig | ExistingPlatformConfig;

/** Where the cluster comes from: the part of PlatformConfig that depends on the mode. */
type ClusterSettings =
  Pick<GkePlatformConfig, "mode" | "gke"> | Pick<ExistingPlatformConfig, "mode" | "kubeconfigContext">;

interface LoadInput {
  /** Stack name (`dev`). */
  readonly stack: string;
  /** Every config value as Pulumi hands it over: "ns:key" -> string (objects as JSON). */
  readonly config: Readonly<Record<string, string>>;
  /** Text of Pulumi.<stack>.yaml, only to point messages at lines; absent when config comes from elsewhere. */
  readonly stackFileText?: string;
  /** Project directory: teamsDir is relative to it. */
  readonly projectDir: string;
}

/**
 * Load everything; throws ConfigError listing every problem. Steps: parse the stack config,
 * then the cluster (GKE settings or kubeconfig context), the pools, the operators (KubeRay and
 * Kueue) and Ray images, and last the team files, checked against all of those.
 */
export function loadPlatformConfig(input: LoadInput): PlatformConfig {
  const catalog = sharedCatalog();
  const issues: ConfigIssue[] = [];
  const notes: string[] = [];
  const { values: v, report } = parseStack(input, issues);

  const cluster = clusterSettings(v, report);
  if (cluster?.mode === "gke" && cluster.gke.authorizedNetworks.some((n) => n.cidr.endsWith("/0"))) {
    notes.push(
      "ray-platform:gke.authorizedNetworks has a /0 range: the control plane's IP endpoint is open to the whole internet (credentials are still needed); list your own networks, or none and use the DNS endpoint.",
    );
  }
  const gke = cluster?.mode === "gke" ? cluster.gke : undefined;
  const pools = resolveNodePools(
    v["ray-platform:nodePools"],
    { mode: v["ray-platform:mode"], region: v["gcp:region"], clusterZones: gke?.zones ?? [], catalog },
    report,
  );
  const table = prices();
  if (gke) checkPrices(pools, gke.region, table, report);
  const files = readFiles(input.projectDir, catalog, v, report);
  const operators = operatorSettings(input.projectDir, v, catalog, pools, files, report);
  const ray = raySettings(v, catalog, gke, report);

  // Team files are checked against the pools and versions above; with those broken, their
  // messages would only echo the stack's problems.
  if (issues.length > 0 || !cluster) throw new ConfigError(issues);

  const monitoringNamespace = v["ray-platform:monitoringNamespace"] ?? MONITORING_NAMESPACES[cluster.mode];
  const teams = resolveTeams(
    input.projectDir,
    v,
    { cluster, pools, catalog, ray, kuberayNamespace: operators.kuberay.namespace, monitoringNamespace },
    report,
    issues,
    notes,
  );
  issues.push(...files.tutorialIssues);
  if (issues.length > 0) throw new ConfigError(issues);

  return {
    ...(cluster.mode === "gke" ? { ...cluster, prices: table } : cluster),
    stack: input.stack,
    monitoringNamespace,
    pools,
    ...operators,
    gpuTypes: Object.fromEntries(pools.flatMap((p) => (p.gpu ? [[p.gpu.type, p.gpu.gkeType]] : []))),
    ...ray,
    catalog,
    teams,
    tutorials: files.tutorials,
    notes,
  };
}

/**
 * The key under which the program returns its validated configuration beside its outputs, for
 * the offline plan (plan/engine.ts). A symbol: Pulumi takes only string keys as stack outputs,
 * so `pulumi up` sees nothing of it. Symbol.for, so every module instance shares it.
 */
export const PLATFORM_CONFIG = Symbol.for("ray-platform/config");

/** The stack's values, from Pulumi's config strings; a value the schema refuses ends the load. */
function parseStack(input: LoadInput, issues: ConfigIssue[]): { values: StackValues; report: Report } {
  const source = YamlSource.parse(`Pulumi.${input.stack}.yaml`, input.stackFileText ?? "{}", issues);
  const report = reporter(source, issues, ["config"]);
  const raw: Record<string, unknown> = {};
  const known = [...SCALAR_KEYS, ...STRUCTURED_KEYS];
  for (const [key, value] of Object.entries(input.config)) {
    if (key.startsWith("ray-platform:") && !known.includes(key)) {
      const s = suggest(key, known);
      report(
        [key],
        `unknown key ${show(key)}; ${s ? `did you mean "${s}"?` : "remove it."} Known keys: ${known.join(", ")}.`,
        { key: true },
      );
      continue;
    }
    if (!key.startsWith("ray-platform:") && key !== "gcp:project" && key !== "gcp:region") continue;
    // Pulumi.yaml declares "" as the default of optional scalars: that means unset.
    if (value === "") continue;
    raw[key] = STRUCTURED_KEYS.includes(key) ? parseJson(value, key, report) : value;
  }
  const parsed = stackSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    for (const i of zodIssues(parsed.error)) report(i.path, i.message, { key: i.key });
    throw new ConfigError(issues);
  }
  return { values: parsed.data, report };
}

/** The GKE settings (gke mode) or the kubeconfig context (mode existing); undefined after a problem. */
function clusterSettings(v: StackValues, report: Report): ClusterSettings | undefined {
  if (v["ray-platform:mode"] === "existing") {
    if (v["ray-platform:gke"])
      report(["ray-platform:gke"], "is for gke mode; remove it, or set ray-platform:mode to gke.");
    const context = v["ray-platform:kubeconfigContext"];
    if (!context) {
      report(
        ["ray-platform:kubeconfigContext"],
        "is required in mode existing; set it to the kubeconfig context of the cluster (e.g. `pulumi config set kubeconfigContext kind-ray`).",
      );
      return undefined;
    }
    return { mode: "existing", kubeconfigContext: context };
  }
  const [project, region, g] = [v["gcp:project"], v["gcp:region"], v["ray-platform:gke"]];
  if (!project)
    report(
      ["gcp:project"],
      "is required in gke mode; run `pulumi config set gcp:project <your-project-id>`.",
    );
  else if (!GCP_PROJECT_ID.test(project)) {
    report(
      ["gcp:project"],
      `${show(project)} is not a project ID this platform can use: 6 to 30 lowercase letters, digits and "-", starting with a letter and not ending with "-" (a domain-scoped ID such as example.com:proj cannot name buckets or Artifact Registry paths); use the project's ID, not its name or number.`,
    );
  }
  if (!region)
    report(["gcp:region"], "is required in gke mode; run `pulumi config set gcp:region us-central1`.");
  if (!g)
    report(
      ["ray-platform:gke"],
      "is required in gke mode; add it with at least zones (see Pulumi.dev.yaml).",
    );
  if (v["ray-platform:kubeconfigContext"])
    report(
      ["ray-platform:kubeconfigContext"],
      "is for mode existing; remove it or set ray-platform:mode to existing.",
    );
  if (!g || !region || !project) return undefined;
  g.zones.forEach((z, i) => {
    if (!z.startsWith(`${region}-`))
      report(
        ["ray-platform:gke", "zones", i],
        `${show(z)} is not a zone of gcp:region ${region}; use zones such as ${region}-a.`,
      );
    if (g.zones.indexOf(z) !== i)
      report(["ray-platform:gke", "zones", i], `${show(z)} is listed twice; remove one.`);
  });
  checkRanges(g, report);
  const clusterLocation = g.location === "zonal" ? g.zones[0] : region;
  if (clusterLocation === undefined) {
    // Not after the schema, which asks for at least one zone.
    report(
      ["ray-platform:gke", "zones"],
      "is empty; a zonal cluster runs in the first of its zones: list one.",
    );
    return undefined;
  }
  return { mode: "gke", gke: { ...g, project, region, clusterLocation } };
}

/** What the loader reads besides the stack and team files, read here only: pinned CRDs and tutorials. */
interface LoadedFiles {
  readonly kuberayCrds: Record<string, unknown>[];
  readonly kueueCrds: Record<string, unknown>[];
  readonly tutorials: Record<string, string>;
  /** Reported after the team files' problems: the tutorials do not stop team files being checked. */
  readonly tutorialIssues: ConfigIssue[];
}

function readFiles(projectDir: string, catalog: Catalog, v: StackValues, report: Report): LoadedFiles {
  const tutorialIssues: ConfigIssue[] = [];
  return {
    kuberayCrds: pinnedCrds(catalog, "kuberay", v["ray-platform:kuberay"].version, report),
    kueueCrds: pinnedCrds(catalog, "kueue", v["ray-platform:kueue"].version, report),
    tutorials: readTutorials(path.join(projectDir, "tutorials"), tutorialIssues),
    tutorialIssues,
  };
}

/** The KubeRay operator and Kueue, with their pinned CRDs. */
function operatorSettings(
  projectDir: string,
  v: StackValues,
  catalog: Catalog,
  pools: readonly ResolvedPool[],
  files: LoadedFiles,
  report: Report,
): { kuberay: KubeRaySettings; kueue: KueueSettings } {
  const [kr, kq] = [v["ray-platform:kuberay"], v["ray-platform:kueue"]];
  checkOperatorResources(kr.values, pools, catalog.kuberayChartValues(kr.version), report);
  checkLocalChart(
    projectDir,
    ["ray-platform:kuberay", "chart"],
    kr.chart,
    { name: "kuberay-operator", version: kr.version },
    report,
  );
  checkLocalChart(
    projectDir,
    ["ray-platform:kueue", "chart"],
    kq.chart,
    { name: "kueue", version: kq.version },
    report,
  );
  return {
    kuberay: {
      version: kr.version,
      namespace: kr.namespace,
      values: kr.values,
      crds: files.kuberayCrds,
      chart: kr.chart,
    },
    kueue: {
      version: kq.version,
      namespace: KUEUE_NAMESPACE,
      values: kq.values,
      crds: files.kueueCrds,
      chart: kq.chart,
    },
  };
}

/**
 * A local chart directory must hold the chart and version the stack names: Helm installs a
 * local chart whatever its version, so a stale copy would go unnoticed. Relative paths stay
 * relative (Pulumi runs the provider in the project directory), so plans agree across machines.
 */
function checkLocalChart(
  projectDir: string,
  at: PathSegment[],
  dir: string | undefined,
  want: { name: string; version: string },
  report: Report,
): void {
  if (dir === undefined) return;
  const file = path.join(path.resolve(projectDir, dir), "Chart.yaml");
  if (!fs.existsSync(file)) {
    report(
      at,
      `${show(dir)} holds no Helm chart (no ${file}); name the chart's directory, or remove the setting to use the chart's repository.`,
    );
    return;
  }
  const chart = (loadYaml(fs.readFileSync(file, "utf8")) ?? {}) as { name?: unknown; version?: unknown };
  if (
    chart.name !== want.name ||
    String(chart.version).replace(/^v/, "") !== want.version.replace(/^v/, "")
  ) {
    report(
      at,
      `${show(dir)} holds chart ${String(chart.name)} ${String(chart.version)}, not ${want.name} ${want.version}; point it at the ${want.version} chart or change the version.`,
    );
  }
}

/** Google Cloud project IDs (Resource Manager: "6 to 30 lowercase letters, digits, or hyphens", starting with a letter, not ending with a hyphen). */
const GCP_PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/** The Ray version clusters get by default, and where their images come from. */
function raySettings(
  v: StackValues,
  catalog: Catalog,
  gke: GkeSettings | undefined,
  report: Report,
): Pick<CommonConfig, "defaultRayVersion" | "imageRegistry"> {
  const defaultRayVersion = v["ray-platform:ray"].defaultVersion ?? catalog.rayImages.default;
  if (!catalog.rayVersions.includes(defaultRayVersion)) {
    report(
      ["ray-platform:ray", "defaultVersion"],
      `Ray ${show(defaultRayVersion)} has no images listed in data/ray-images.yaml; use one of ${catalog.rayVersions.join(", ")} or add it there.`,
    );
  }
  const imageRegistry = v["ray-platform:ray"].imageRegistry ?? (gke ? dockerHubProxy(gke) : "docker.io");
  // Every Ray image is named <registry>/rayproject/ray:<tag>: the registry must make a valid reference.
  const example = `${imageRegistry}/${catalog.rayImages.repository}:${defaultRayVersion}-${catalog.rayImages.python}`;
  if (imageReferenceProblem(example)) {
    report(
      ["ray-platform:ray", "imageRegistry"],
      `${show(imageRegistry)} does not make valid image names (${show(example)} is not an image reference the container runtime can parse); write a registry host and lowercase path such as us-docker.pkg.dev/my-project/dockerhub, without spaces or a trailing "/".`,
    );
  }
  return { defaultRayVersion, imageRegistry };
}

/** Every team file, checked against the cluster, pools and versions; problems go to `issues`. */
function resolveTeams(
  projectDir: string,
  v: StackValues,
  ctx: {
    cluster: ClusterSettings;
    pools: readonly ResolvedPool[];
    catalog: Catalog;
    ray: Pick<CommonConfig, "defaultRayVersion" | "imageRegistry">;
    kuberayNamespace: string;
    monitoringNamespace: string;
  },
  report: Report,
  issues: ConfigIssue[],
  notes: string[],
): ResolvedTeam[] {
  const gke = ctx.cluster.mode === "gke" ? ctx.cluster.gke : undefined;
  const teamsDir = v["ray-platform:teamsDir"];
  const teams = loadTeams(
    path.resolve(projectDir, teamsDir),
    path.isAbsolute(teamsDir) ? teamsDir : path.posix.normalize(teamsDir.split(path.sep).join("/")),
    {
      mode: ctx.cluster.mode,
      project: gke?.project,
      pools: ctx.pools,
      catalog: ctx.catalog,
      ...ctx.ray,
      reservedNamespaces: [
        "default",
        ctx.kuberayNamespace,
        KUEUE_NAMESPACE,
        ...new Set([ctx.monitoringNamespace, ...Object.values(MONITORING_NAMESPACES)]),
        "gmp-public",
        "kube-system",
        "kube-public",
        "kube-node-lease",
      ],
      groupsEnabled: !!gke?.securityGroup,
    },
    issues,
    notes,
  );
  // Existing clusters' Service range is not known here: their operators check it themselves.
  if (gke && issues.length === 0)
    checkServiceRange(
      teams,
      gke.network.servicesCidr,
      ["ray-platform:gke", "network", "servicesCidr"],
      report,
    );
  if (teams.length > 0 && !teams.some((t) => t.name === PLAYGROUND)) {
    notes.push(`no ${PLAYGROUND} team file: there is no shared playground namespace.`);
  }
  return teams;
}

const OPERATOR_NAMES: Record<PinnedOperator, string> = { kuberay: "KubeRay", kueue: "Kueue" };

/** The CRDs pinned for an operator's version, parsed; a version without them is a problem. */
function pinnedCrds(
  catalog: Catalog,
  operator: PinnedOperator,
  version: string,
  report: Report,
): Record<string, unknown>[] {
  const versions = catalog.pinnedVersions(operator);
  if (!versions.includes(version)) {
    report(
      [`ray-platform:${operator}`, "version"],
      `${OPERATOR_NAMES[operator]} ${show(version)} has no CRDs pinned in data/${operator}/ (pinned: ${versions.join(", ")}); run \`npm run ${operator}:pin -- ${version}\` to add data/${operator}/${version}/crds from the release, review and commit them, or use a pinned version.`,
    );
    return [];
  }
  return catalog.pinnedCrdFiles(operator, version).map((f) => parsedCrd(f, operator));
}

/**
 * Each pinned CRD file parsed once per instance of this module, by its text: megabytes of YAML
 * that cost a quarter of a second per load, and the loader's tests load hundreds of times (a
 * test that resets its modules, as runProgram does, parses again). An edited file is parsed
 * afresh; the result is frozen, so no caller can change what the next one gets.
 */
const crdCache = new Map<string, { text: string; crd: Record<string, unknown> }>();

function parsedCrd(file: string, operator: PinnedOperator): Record<string, unknown> {
  const text = fs.readFileSync(file, "utf8");
  const cached = crdCache.get(file);
  if (cached?.text === text) return cached.crd;
  const parsed = parseCrdText(text);
  const crd = deepFreeze(operator === "kuberay" ? workerGroupsByName(parsed) : parsed);
  crdCache.set(file, { text, crd });
  return crd;
}

/**
 * A pinned CRD file's object, read as JSON from the user's cache (parsed-crds/, by the text's
 * hash) once it has been parsed: the 15 files' 5.8 MB of YAML take 115 ms, their JSON 8 ms.
 * Trusted, pinned data: js-yaml reads it ~9x faster than `yaml`; its CRDs hold only what JSON
 * can (a test compares every pinned file parsed both ways).
 */
export function parseCrdText(text: string): Record<string, unknown> {
  const file = path.join(userCacheDir("parsed-crds"), `${cacheKey(text)}.json`);
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    // Not parsed yet on this machine, or an entry that does not read: parsed again below.
  }
  const parsed = loadYaml(text) as Record<string, unknown>;
  writeCacheEntry(file, JSON.stringify(parsed));
  return parsed;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** ConfigMaps hold at most 1 MiB; the notebooks share one per cluster. */
const MAX_TUTORIAL_BYTES = 1024 * 1024 - 16 * 1024;

function readTutorials(dir: string, issues: ConfigIssue[]): Record<string, string> {
  if (!fs.existsSync(dir)) return {};
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort();
  const out = Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
  const size = Object.values(out).reduce((n, t) => n + Buffer.byteLength(t), 0);
  if (size > MAX_TUTORIAL_BYTES) {
    issues.push({
      file: "tutorials/",
      path: "",
      message: `the notebooks have ${size} bytes together, more than a ConfigMap holds (${MAX_TUTORIAL_BYTES}); clear their outputs or remove some.`,
    });
  }
  return out;
}

function parseJson(value: string, key: string, report: ReturnType<typeof reporter>): unknown {
  try {
    return JSON.parse(value);
  } catch {
    // Pulumi stores objects as JSON; a plain string here means the key was set with `pulumi config set` instead of --path.
    report(
      [key],
      `must be an object or list, got the string ${show(value)}; set it in Pulumi.<stack>.yaml as YAML or with \`pulumi config set --path\`.`,
    );
    return undefined;
  }
}
