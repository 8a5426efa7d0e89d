/**
 * The platform's facts, read from data/: machine shapes, GPU accelerators and their zones,
 * what GKE keeps of a node, Ray images and the KubeRay versions whose CRDs the repo pins.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { z } from "zod";

export const DATA_DIR = path.join(__dirname, "..", "data");

const machineTypesSchema = z.object({
  families: z.record(
    z.string(),
    z.object({
      memoryGbPerVcpu: z.number().positive(),
      vcpus: z.array(z.number().int().positive()),
      gpus: z.array(z.string()),
    }),
  ),
  shapes: z.record(
    z.string(),
    z.object({
      vcpus: z.number().int().positive(),
      memoryGb: z.number().positive(),
      gpu: z.object({ type: z.string(), count: z.number().int().positive() }),
    }),
  ),
});

const acceleratorsSchema = z.record(
  z.string(),
  z.object({
    gkeType: z.string(),
    memoryGb: z.number().positive(),
    counts: z
      .array(z.object({ count: z.number().int().positive(), maxVcpus: z.number(), maxMemoryGb: z.number() }))
      .optional(),
    zones: z.record(z.string(), z.array(z.string())),
  }),
);

const tiers = z.array(
  z.object({ upTo: z.union([z.number(), z.literal(Infinity)]), fraction: z.number().min(0).max(1) }),
);
const reservationsSchema = z.object({
  cpuTiers: tiers,
  memoryTiers: tiers,
  evictionThresholdGi: z.number().min(0),
  daemonSetCpu: z.number().min(0),
  daemonSetMemoryGi: z.number().min(0),
});

const rayImagesSchema = z.object({
  repository: z.string(),
  python: z.string(),
  default: z.string(),
  versions: z.array(z.string()),
  vscodeImage: z.string(),
});

/** Operators whose CRDs the repo pins under data/<operator>/<version>/crds. */
export type PinnedOperator = "kuberay" | "kueue";

/** A node's shape: what the machine has, and what one Ray pod may ask for on it. */
interface MachineShape {
  readonly machineType: string;
  readonly family: string;
  readonly vcpus: number;
  readonly memoryGi: number;
  /** GPU fixed by the machine type (A2), if any. */
  readonly fixedGpu?: { readonly type: string; readonly count: number };
  /** GPU types this machine family can attach. */
  readonly gpuTypes: readonly string[];
}

/** Resources one pod can request so that it is alone on a node of this shape. */
export interface NodeCapacity {
  /** Whole cores. */
  readonly cpu: number;
  /** Whole GiB. */
  readonly memoryGi: number;
}

export function readData<T>(file: string, schema: z.ZodType<T>): T {
  const text = fs.readFileSync(path.join(DATA_DIR, file), "utf8");
  const parsed = schema.safeParse(parse(text));
  // These files belong to the repo; a broken one is a bug in a commit, not user input.
  if (!parsed.success) throw new Error(`data/${file} is malformed: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export class Catalog {
  readonly machineTypes = readData("gke-machine-types.yaml", machineTypesSchema);
  readonly accelerators = readData("gke-accelerators.yaml", acceleratorsSchema);
  readonly reservations = readData("gke-node-reservations.yaml", reservationsSchema);
  readonly rayImages = readData("ray-images.yaml", rayImagesSchema);

  get gpuTypes(): string[] {
    return Object.keys(this.accelerators);
  }

  get machineFamilies(): string[] {
    return [...Object.keys(this.machineTypes.families), "a2-highgpu", "a2-megagpu", "a2-ultragpu"];
  }

  /** The shape of a machine type, or why it is unknown. */
  machineShape(machineType: string): MachineShape | { problem: string } {
    const fixed = this.machineTypes.shapes[machineType];
    if (fixed) {
      return {
        machineType,
        family: machineType.replace(/-\d+g$/, ""),
        vcpus: fixed.vcpus,
        memoryGi: fixed.memoryGb,
        fixedGpu: fixed.gpu,
        gpuTypes: [fixed.gpu.type],
      };
    }
    const [, familyName, vcpuCount] = /^([a-z0-9]+-[a-z]+)-(\d+)$/.exec(machineType) ?? [];
    const family = familyName !== undefined ? this.machineTypes.families[familyName] : undefined;
    if (familyName === undefined || vcpuCount === undefined || !family) {
      const families = Object.keys(this.machineTypes.families);
      return {
        problem: `unknown machine type family in "${machineType}"; use one of ${families.join(", ")} (as <family>-<vCPUs>, e.g. n1-standard-16) or an A2 type (${Object.keys(this.machineTypes.shapes).join(", ")}), or add the family to data/gke-machine-types.yaml.`,
      };
    }
    const vcpus = Number(vcpuCount);
    if (!family.vcpus.includes(vcpus)) {
      return {
        problem: `"${machineType}" does not exist: ${familyName} comes with ${family.vcpus.join(", ")} vCPUs; pick one of those.`,
      };
    }
    return {
      machineType,
      family: familyName,
      vcpus,
      memoryGi: vcpus * family.memoryGbPerVcpu,
      gpuTypes: family.gpus,
    };
  }

  /**
   * What one pod may request to be alone on a node: the node's allocatable (GKE's kubelet
   * reservation tiers and eviction threshold) minus room for system DaemonSets, rounded
   * down to whole cores and GiB.
   */
  nodeCapacity(shape: Pick<MachineShape, "vcpus" | "memoryGi">): NodeCapacity {
    const r = this.reservations;
    const cpu = shape.vcpus - reserved(shape.vcpus, r.cpuTiers) - r.daemonSetCpu;
    const memoryGi =
      shape.memoryGi - reserved(shape.memoryGi, r.memoryTiers) - r.evictionThresholdGi - r.daemonSetMemoryGi;
    return { cpu: Math.max(0, Math.floor(cpu)), memoryGi: Math.max(0, Math.floor(memoryGi)) };
  }

  /** Ray versions with published images; the default is rayImages.default (data/ray-images.yaml). */
  get rayVersions(): string[] {
    return this.rayImages.versions;
  }

  /** Versions of an operator whose CRDs are pinned under data/<operator>/<version>/crds. */
  pinnedVersions(operator: PinnedOperator): string[] {
    const dir = path.join(DATA_DIR, operator);
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, "crds")))
      .map((d) => d.name)
      .sort();
  }

  /** The CRD files pinned for an operator's version, as absolute paths. */
  pinnedCrdFiles(operator: PinnedOperator, version: string): string[] {
    const dir = path.join(DATA_DIR, operator, version, "crds");
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".yaml"))
      .sort()
      .map((f) => path.join(dir, f));
  }

  /** The kuberay-operator chart's own default values for a pinned version ({} when not pinned). */
  kuberayChartValues(version: string): Record<string, unknown> {
    const file = path.join(DATA_DIR, "kuberay", version, "chart", "values.yaml");
    return fs.existsSync(file)
      ? ((parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>) ?? {})
      : {};
  }
}

/** Sum of tiered reservations: each tier takes `fraction` of the amount between the previous limit and `upTo`. */
function reserved(amount: number, tiersOf: readonly { upTo: number; fraction: number }[]): number {
  let total = 0;
  let from = 0;
  for (const tier of tiersOf) {
    if (amount <= from) break;
    total += (Math.min(amount, tier.upTo) - from) * tier.fraction;
    from = tier.upTo;
  }
  return total;
}

let shared: Catalog | undefined;
/** The catalog, read once per process. */
export function catalog(): Catalog {
  shared ??= new Catalog();
  return shared;
}
