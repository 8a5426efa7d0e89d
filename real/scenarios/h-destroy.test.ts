/**
 * h. `pulumi destroy` with the real engine leaves exactly what the program retains: the
 * CRDs (deleting one deletes every object of its kind), team namespaces with what bounds them,
 * and the teams' queues. Everything else the plan has is gone. Runs last (file order).
 */
import { beforeAll, describe, expect, test } from "vitest";
import { KubeError } from "../../client/src/kube";
import { cp, deployed, destroy, offlinePlan, type Planned } from "./context";

const admin = cp.api("admin");
async function exists(obj: Record<string, any>): Promise<boolean> {
  const kind = String(obj.kind).toLowerCase();
  const resource = kind.endsWith("y")
    ? `${kind.slice(0, -1)}ies`
    : kind.endsWith("s")
      ? `${kind}es`
      : `${kind}s`;
  const base = String(obj.apiVersion).includes("/") ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const p = `${base}${obj.metadata.namespace ? `/namespaces/${obj.metadata.namespace}` : ""}/${resource}/${obj.metadata.name}`;
  try {
    const live = await admin.get(p);
    return !live.metadata.deletionTimestamp;
  } catch (err) {
    if (err instanceof KubeError && err.code === 404) return false;
    throw err;
  }
}

describe("h. destroy", () => {
  let planned: Planned[];
  beforeAll(async () => {
    await deployed();
    planned = offlinePlan().filter(
      (r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/") && r.inputs.kind,
    );
    await destroy();
  });

  test("leaves exactly the retained objects", async () => {
    const retained = planned.filter((r) => r.options.retainOnDelete);
    expect(retained.map((r) => r.inputs.kind)).toEqual(
      expect.arrayContaining(["CustomResourceDefinition", "Namespace", "ResourceQuota", "ClusterQueue"]),
    );
    const wrong: string[] = [];
    // Namespaced objects of deleted owners go through the garbage collector: give it time.
    await cp
      .waitFor(
        "only retained objects left",
        async () => {
          wrong.length = 0;
          for (const r of planned)
            if ((await exists(r.inputs)) !== !!r.options.retainOnDelete)
              wrong.push(
                `${r.inputs.kind} ${r.inputs.metadata.namespace ?? ""}/${r.inputs.metadata.name}: ${r.options.retainOnDelete ? "gone" : "still there"}`,
              );
          return wrong.length === 0;
        },
        120_000,
      )
      .catch(() => undefined);
    expect(wrong).toEqual([]);
  });

  test("the operators' releases are uninstalled: no operator pod runs", async () => {
    for (const ns of ["kuberay-system", "kueue-system"]) {
      await cp.waitFor(
        `${ns} empty`,
        async () => (await admin.get(`/apis/apps/v1/namespaces/${ns}/deployments`)).items.length === 0,
        60_000,
      );
    }
  });
});
