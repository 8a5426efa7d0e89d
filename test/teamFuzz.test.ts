/**
 * Property: team files mutated the way fuzzing found (issue 12, point 11) are either refused
 * or render only values Kubernetes' and GCS's own rules accept.
 */
import * as fs from "node:fs";
import fc from "fast-check";
import { expect, test } from "vitest";
import { ConfigError } from "../config/errors";
import { renderRayCluster } from "../render/rayCluster";
import { namespace, resourceQuota } from "../render/tenancy";
import { loadConfig, teamsDir } from "./mocks";
import { APIMACHINERY_QUANTITY } from "./schemas";

// k8s.io/apimachinery/pkg/util/validation: DNS-1123 label, label values.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const INT32 = 2 ** 31 - 1;
// https://cloud.google.com/storage/docs/buckets#naming
const gcsBucketOk = (b: string) =>
  /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/.test(b) && !/g[o0]{2}g[l1]e/.test(b) && !b.startsWith("goog");
const FLAG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** The good value most of the time, so that files with one or two mutations are common. */
const mostly = (good: string, ...bad: string[]) =>
  fc.oneof({ arbitrary: fc.constant(good), weight: 3 * bad.length }, fc.constantFrom(...bad));

const mutation = fc.record({
  name: mostly("vision", "google-vision", "goog", "vision-g00gle"),
  cpu: mostly(
    "64",
    '"64 "',
    '" 64"',
    '"64\u00a0"',
    "1e300",
    "3000000000",
    "64.5",
    "0x40",
    "-.5",
    "0b1000000",
    '"1e3"',
  ),
  memory: mostly("256Gi", '"256 Gi"', '"256Gi\u00a0"', "1e300", "256GB", "-0x10"),
  maxReplicas: mostly("2", "2147483647", "2147483648", "3000000000", "0b1000000", "-0x10", "-.5", "0x10"),
  idle: mostly("60", "3000000000", "2147483647", "0b1000000"),
  param: mostly(
    "object-store-memory",
    "Object-Store-Memory",
    " port",
    "port ",
    "NUM_CPUS",
    "num cpus",
    "block",
  ),
  description: mostly("Image models.", '"Image\\0models."', '"tab\\there"'),
  bucket: fc.boolean(),
  anchor: fc.boolean(),
});

function teamFile(m: Record<string, unknown>): string {
  return `name: ${m.name}
description: ${m.description}
owners:
  - user:ana@example.com
bucket: ${m.bucket}
quota:
  cpu: ${m.anchor ? "&cpu " : ""}${m.cpu}
  memory: ${m.memory}
  gpus:
    t4: 4
rayClusters:
  - name: detector
    autoscaler: { idleTimeoutSeconds: ${m.idle} }
    workerGroups:
      - name: t4
        gpu: { type: t4 }
        minReplicas: 0
        maxReplicas: ${m.maxReplicas}
        rayStartParams: { "${m.param}": "1" }
`;
}

/** Every string and number in a rendered object, with its path. */
function* leaves(value: unknown, at = ""): Generator<[string, unknown]> {
  if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) yield* leaves(v, `${at}.${k}`);
  else yield [at, value];
}

test("whatever the loader accepts renders only values Kubernetes and GCS accept", () => {
  let accepted = 0;
  let refused = 0;
  fc.assert(
    fc.property(mutation, (m) => {
      const dir = teamsDir({ [`${m.name}.yaml`]: teamFile(m) });
      let config;
      try {
        config = loadConfig({ teams: dir });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        expect(err.issues.some((i) => i.file.endsWith(`${m.name}.yaml`))).toBe(true);
        refused++;
        return;
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      accepted++;
      const team = config.teams.find((t) => t.name === m.name)!;
      expect(team).toBeDefined();
      expect(team.name).toMatch(DNS_LABEL);
      if (team.bucket) expect(gcsBucketOk(team.bucket), team.bucket).toBe(true);
      for (const q of Object.values((resourceQuota(team) as any).spec.hard as Record<string, string>))
        expect(String(q)).toMatch(APIMACHINERY_QUANTITY);
      for (const [, v] of leaves((namespace(team) as any).metadata.labels))
        expect(String(v)).toMatch(LABEL_VALUE);
      for (const c of team.rayClusters) {
        const spec = renderRayCluster(c).spec as Record<string, any>;
        for (const g of spec.workerGroupSpecs) {
          for (const f of ["replicas", "minReplicas", "maxReplicas"])
            if (g[f] !== undefined)
              expect(Number.isInteger(g[f]) && g[f] >= 0 && g[f] <= INT32, `${f} ${g[f]}`).toBe(true);
          for (const k of Object.keys(g.rayStartParams)) expect(k).toMatch(FLAG);
          for (const [, v] of leaves(g.template.spec.containers.map((x: any) => x.resources)))
            expect(String(v)).toMatch(APIMACHINERY_QUANTITY);
        }
        expect(spec.autoscalerOptions?.idleTimeoutSeconds ?? 0).toBeLessThanOrEqual(INT32);
      }
      for (const [where, v] of leaves(team))
        if (typeof v === "string") expect(v.includes("\0"), where).toBe(false);
    }),
    { numRuns: 50, seed: 12 },
  );
  // Both outcomes happened: the property examined accepted files, and the mutations were refused too.
  expect(accepted).toBeGreaterThan(0);
  expect(refused).toBeGreaterThan(0);
});
