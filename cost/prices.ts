/**
 * Hourly node prices (data/gke-prices.yaml): machine types and GPUs per region, on-demand and
 * spot, and the GKE cluster fee. A stack is checked against it when it is loaded: a price the
 * file lacks is an error only for the machine types and GPUs the stack's pools use.
 */
import { z } from "zod";
import { readData } from "../config/catalog";
import { type Report, show } from "../config/errors";
import { type ResolvedPool } from "../config/nodePools";

const price = z.object({ onDemand: z.number().positive(), spot: z.number().positive() });
const pricesSchema = z.object({
  source: z.string(),
  /** When the prices were read (YYYY-MM-DD). */
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  currency: z.literal("USD"),
  hoursPerMonth: z.number().positive(),
  clusterFeeHourly: z.number().min(0),
  regions: z.record(
    z.string(),
    z.object({ machines: z.record(z.string(), price), gpus: z.record(z.string(), price) }),
  ),
});

export type PriceTable = z.infer<typeof pricesSchema>;

export const PRICES_FILE = "gke-prices.yaml";

let shared: PriceTable | undefined;
/** The price table, read once per process. */
export function prices(): PriceTable {
  shared ??= readData(PRICES_FILE, pricesSchema);
  return shared;
}

/** One node as it is billed: its machine type, the GPUs attached, spot or not, in a region. */
export interface BilledNode {
  readonly machineType: string;
  /** Friendly GPU name (t4, a100) and GPUs per node. */
  readonly gpu?: { readonly type: string; readonly count: number };
  readonly spot: boolean;
  readonly region: string;
}

/** What the table lacks to price a node, as phrases ("machine type x in r"); empty when priced. */
function missingPrices(table: PriceTable, node: BilledNode): string[] {
  const region = table.regions[node.region];
  const missing: string[] = [];
  if (!region?.machines[node.machineType]) missing.push(`machine type ${node.machineType} in ${node.region}`);
  if (node.gpu && !region?.gpus[node.gpu.type]) missing.push(`GPU ${node.gpu.type} in ${node.region}`);
  return missing;
}

/** The hourly price of one node (machine plus its GPUs), or undefined when the table lacks one. */
export function nodeHourly(table: PriceTable, node: BilledNode): number | undefined {
  const region = table.regions[node.region];
  const machine = region?.machines[node.machineType];
  if (!machine) return undefined;
  const kind = node.spot ? "spot" : "onDemand";
  let gpus = 0;
  if (node.gpu) {
    const gpu = region?.gpus[node.gpu.type];
    if (!gpu) return undefined;
    gpus = gpu[kind] * node.gpu.count;
  }
  return machine[kind] + gpus;
}

/** gke mode: every pool's machine type and GPU must be priced in the stack's region. */
export function checkPrices(
  pools: readonly ResolvedPool[],
  region: string,
  table: PriceTable,
  report: Report,
): void {
  pools.forEach((pool, i) => {
    if (!pool.machineType) return;
    const missing = missingPrices(table, {
      machineType: pool.machineType,
      gpu: pool.gpu,
      spot: pool.spot,
      region,
    });
    if (missing.length === 0) return;
    report(
      ["ray-platform:nodePools", i, "machineType"],
      `${show(pool.machineType)} has no price for ${missing.join(" or ")} in data/${PRICES_FILE} (prices of ${table.date}); add it from the Cloud Billing Catalog (npm run prices:refresh, or by hand with its source) or pick a priced machine type.`,
    );
  });
}
