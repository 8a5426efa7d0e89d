/**
 * a. `pulumi up` from nothing: every object the offline plan shows exists on the real API
 * server as planned, after CRD validation and pruning, defaulting, the platform's admission
 * policies (real CEL), Kueue's webhooks and the quotas; and the operators the charts install run.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { mismatches } from "../compare";
import { cp, deployed, offlinePlan, type Planned, real, stack } from "./context";

/** The REST path of an object, from its apiVersion and kind (English plurals of the kinds the program applies). */
function restPath(obj: Record<string, any>): string {
  const kind = String(obj.kind).toLowerCase();
  const resource = kind.endsWith("y")
    ? `${kind.slice(0, -1)}ies`
    : kind.endsWith("s")
      ? `${kind}es`
      : `${kind}s`;
  const base = String(obj.apiVersion).includes("/") ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  return `${base}${obj.metadata.namespace ? `/namespaces/${obj.metadata.namespace}` : ""}/${resource}/${obj.metadata.name}`;
}

describe("a. up from nothing", () => {
  let planned: Planned[];
  beforeAll(async () => {
    await deployed();
    planned = offlinePlan().filter(
      (r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/") && r.inputs.kind,
    );
  });

  test("the real engine registers exactly the resources of the offline plan", () => {
    const key = (type: string, name: string) => `${type}::${name}`;
    const real = stack
      .resources()
      .filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"));
    const offline = offlinePlan().filter(
      (r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"),
    );
    expect(real.length).toBeGreaterThan(0);
    expect(real.map((r) => key(r.type, r.urn.split("::").pop()!)).sort()).toEqual(
      offline.map((r) => key(r.type, r.name)).sort(),
    );
  });

  test("every Kubernetes object of the offline plan exists on the API server as planned", async () => {
    expect(planned.length).toBeGreaterThan(0);
    const admin = cp.api("admin");
    const problems: string[] = [];
    for (const r of planned) {
      const obj = r.inputs;
      const id = `${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ""}${obj.metadata.name}`;
      let live: any;
      try {
        live = await admin.get(restPath(obj));
      } catch (err) {
        problems.push(`${id}: ${(err as Error).message}`);
        continue;
      }
      // A Secret's data is masked in the plan ("[secret]"): it must exist, with a value.
      const { data, ...rest } = obj;
      const diffs = mismatches(obj.kind === "Secret" ? rest : obj, live);
      if (obj.kind === "Secret" && data !== undefined && Object.keys(live.data ?? {}).length === 0)
        diffs.push(".data: missing");
      problems.push(...diffs.map((d) => `${id}${d}`));
    }
    expect(problems).toEqual([]);
  });

  test("the charts' operators run on the system pool, with the charts' service accounts", async () => {
    const admin = cp.api("admin");
    for (const [ns, deployment] of [
      ["kuberay-system", "kuberay-operator"],
      ["kueue-system", "kueue-controller-manager"],
    ]) {
      const d = await admin.get(`/apis/apps/v1/namespaces/${ns}/deployments/${deployment}`);
      expect(d.status.availableReplicas, `${deployment} available`).toBe(1);
      const pods = await admin.get(`/api/v1/namespaces/${ns}/pods`);
      const pod = pods.items.find(
        (p: any) => p.metadata.name.startsWith(`${deployment}-`) && p.status.phase === "Running",
      );
      expect(pod, `${deployment}'s pod`).toBeDefined();
      expect(real.controlPlane.hostNodes).toContain(pod.spec.nodeName);
      expect(pod.status.containerStatuses[0].ready).toBe(true);
    }
  });
});
