/**
 * `npm run prices:refresh`: rewrite data/gke-prices.yaml from Google's Cloud Billing Catalog API
 * (https://cloud.google.com/billing/docs/how-to/get-pricing-information-api): every machine type
 * of data/gke-machine-types.yaml and GPU of data/gke-accelerators.yaml, in every region the
 * accelerators file lists, on demand and spot. Needs an OAuth token allowed to read the catalog
 * (GOOGLE_OAUTH_ACCESS_TOKEN, or `gcloud auth print-access-token`); tests never run it.
 * Review the diff before committing: a SKU renamed by Google shows up as a missing row.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { catalog, DATA_DIR } from "../config/catalog";
import { prices, PRICES_FILE } from "../cost/prices";

/** Compute Engine's service in the Billing Catalog. */
const SERVICE = "services/6F81-5844-456A";
/** SKU description prefixes of each family's vCPU and memory ("N2 Instance Core running in Americas"). */
const FAMILY_SKU: Record<string, string> = {
  n1: "N1 Predefined Instance",
  n2: "N2 Instance",
  n2d: "N2D AMD Instance",
  e2: "E2 Instance",
  c3: "C3 Instance",
  a2: "A2 Instance",
};
/** SKU description prefixes of each GPU ("Nvidia Tesla T4 GPU running in Americas"). */
const GPU_SKU: Record<string, string> = {
  t4: "Nvidia Tesla T4 GPU",
  a100: "Nvidia Tesla A100 GPU",
  "a100-80gb": "Nvidia Tesla A100 80GB GPU",
};

interface Sku {
  description: string;
  serviceRegions: string[];
  pricingInfo: { pricingExpression: { tieredRates: { unitPrice: { units?: string; nanos?: number } }[] } }[];
}

async function allSkus(token: string): Promise<Sku[]> {
  const skus: Sku[] = [];
  let page = "";
  do {
    const url = `https://cloudbilling.googleapis.com/v1/${SERVICE}/skus?currencyCode=USD&pageSize=5000${page ? `&pageToken=${page}` : ""}`;
    const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`Cloud Billing Catalog: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { skus: Sku[]; nextPageToken?: string };
    skus.push(...body.skus);
    page = body.nextPageToken ?? "";
  } while (page);
  return skus;
}

/** Hourly price of the SKU whose description starts with `prefix` (optionally spot) in `region`. */
function rate(skus: Sku[], region: string, pattern: RegExp): number | undefined {
  const sku = skus.find((s) => pattern.test(s.description) && s.serviceRegions.includes(region));
  const tiers = sku?.pricingInfo[0]?.pricingExpression.tieredRates ?? [];
  const unit = tiers[tiers.length - 1]?.unitPrice;
  return unit && Number(unit.units ?? 0) + (unit.nanos ?? 0) / 1e9;
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

async function main(): Promise<void> {
  const token =
    process.env.GOOGLE_OAUTH_ACCESS_TOKEN ??
    execFileSync("gcloud", ["auth", "print-access-token"], { encoding: "utf8" }).trim();
  const skus = await allSkus(token);
  const cat = catalog();
  const machineTypes = [
    ...Object.entries(cat.machineTypes.families).flatMap(([family, f]) =>
      f.vcpus.map((v) => `${family}-${v}`),
    ),
    ...Object.keys(cat.machineTypes.shapes),
  ];
  const regionNames = [
    ...new Set(Object.values(cat.accelerators).flatMap((a) => Object.keys(a.zones))),
  ].sort();
  const regions: Record<string, { machines: Record<string, unknown>; gpus: Record<string, unknown> }> = {};
  const missing: string[] = [];
  for (const region of regionNames) {
    const machines: Record<string, unknown> = {};
    for (const type of machineTypes) {
      const shape = cat.machineShape(type);
      const [family = type] = type.split("-"); // split yields at least one part
      const sku = FAMILY_SKU[family];
      if ("problem" in shape || !sku) continue;
      const price = (spot: boolean) => {
        const of = (what: string) =>
          rate(skus, region, new RegExp(`^${spot ? "Spot Preemptible " : ""}${sku} ${what} running in `));
        const [core, ram] = [of("Core"), of("Ram")];
        return core === undefined || ram === undefined
          ? undefined
          : round(shape.vcpus * core + shape.memoryGi * ram);
      };
      const [onDemand, spot] = [price(false), price(true)];
      if (onDemand === undefined || spot === undefined) missing.push(`${type} in ${region}`);
      else machines[type] = { onDemand, spot };
    }
    const gpus: Record<string, unknown> = {};
    for (const [gpu, sku] of Object.entries(GPU_SKU)) {
      const onDemand = rate(skus, region, new RegExp(`^${sku} running in `));
      const spot = rate(skus, region, new RegExp(`^${sku} attached to Spot Preemptible VMs running in `));
      if (onDemand === undefined || spot === undefined) missing.push(`GPU ${gpu} in ${region}`);
      else gpus[gpu] = { onDemand: round(onDemand), spot: round(spot) };
    }
    regions[region] = { machines, gpus };
  }
  const old = prices();
  const header = [
    "# Hourly list prices (USD) of machine types and GPUs per region, on demand and spot, and the",
    "# GKE cluster fee. Written by `npm run prices:refresh` (scripts/refresh-prices.ts) from the",
    "# Cloud Billing Catalog API; a node costs its machine plus its GPUs, as Google bills it.",
    ...(missing.length ? [`# Not in the catalog at refresh: ${missing.join(", ")}.`] : []),
  ];
  const body = {
    source: `Cloud Billing Catalog API, ${SERVICE} (Compute Engine)`,
    date: new Date().toISOString().slice(0, 10),
    currency: "USD",
    hoursPerMonth: old.hoursPerMonth,
    // The GKE fee is a GKE SKU, not Compute Engine's: kept from the previous file.
    clusterFeeHourly: old.clusterFeeHourly,
    regions,
  };
  fs.writeFileSync(
    path.join(DATA_DIR, PRICES_FILE),
    `${header.join("\n")}\n${stringify(body, { flow: false })}`,
  );
  process.stderr.write(
    `wrote data/${PRICES_FILE}: ${regionNames.length} regions${missing.length ? `; missing ${missing.length}: ${missing.join(", ")}` : ""}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
