/**
 * e. A team file removed and restored with the real engine: the team's RayClusters and access
 * go and its retained objects stay (unmanaged); restored, the retained objects are taken back
 * and everything else is made again, nothing failing on AlreadyExists.
 *
 * The provider built here is v4.25.0 (real/versions.sh), whose creates are server-side apply
 * patches that take over an existing object anyway; v4.29+ creates fail on an existing object
 * unless the provider upserts (components/kubeconfig.ts). So this scenario proves what the
 * engine and API server do with the retained objects, not the adopting provider's setting.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { KubeError } from "../../client/src/kube";
import { OTHER_TEAM } from "../users";
import { cp, deployed, stack, teams, up } from "./context";

const admin = cp.api("admin");
const exists = async (p: string) =>
  admin.get(p).then(
    () => true,
    (err) => {
      if (err instanceof KubeError && err.code === 404) return false;
      throw err;
    },
  );
const RETAINED = [
  `/api/v1/namespaces/${OTHER_TEAM}`,
  `/api/v1/namespaces/${OTHER_TEAM}/resourcequotas/team-quota`,
  `/api/v1/namespaces/${OTHER_TEAM}/limitranges/defaults`,
  `/apis/networking.k8s.io/v1/namespaces/${OTHER_TEAM}/networkpolicies/default-deny-ingress`,
  `/apis/kueue.x-k8s.io/v1beta2/clusterqueues/${OTHER_TEAM}`,
  `/apis/kueue.x-k8s.io/v1beta2/namespaces/${OTHER_TEAM}/localqueues/default`,
];
const DELETED = [
  `/apis/ray.io/v1/namespaces/${OTHER_TEAM}/rayclusters/gnn`,
  `/apis/rbac.authorization.k8s.io/v1/namespaces/${OTHER_TEAM}/rolebindings/owners`,
  `/apis/rbac.authorization.k8s.io/v1/namespaces/${OTHER_TEAM}/rolebindings/ray-users`,
  `/api/v1/namespaces/${OTHER_TEAM}/serviceaccounts/ray`,
];
/** maria owns tech-research. */
const ownerCanListPods = () =>
  cp
    .api("otherTeam")
    .get(`/api/v1/namespaces/${OTHER_TEAM}/pods`)
    .then(
      () => true,
      () => false,
    );

describe("e. a team file removed, then restored", () => {
  let restore: () => void;
  beforeAll(async () => {
    await deployed();
    expect(await ownerCanListPods()).toBe(true);
    restore = teams.remove(OTHER_TEAM);
    await up();
  });

  test("removed: its RayClusters, bindings and service account go, what bounds the namespace stays, unmanaged", async () => {
    await cp.waitFor("gnn deleted", async () => !(await exists(DELETED[0]!)), 60_000);
    for (const p of DELETED) expect(await exists(p), p).toBe(false);
    for (const p of RETAINED) expect(await exists(p), p).toBe(true);
    expect(await ownerCanListPods()).toBe(false);
    expect(stack.resources().filter((r) => r.urn.includes(`::${OTHER_TEAM}-`))).toEqual([]);
  });

  test("restored: the retained objects are taken back, the rest made again", async () => {
    restore();
    const r = await up();
    expect(r.ok).toBe(true);
    for (const p of [...RETAINED, ...DELETED]) expect(await exists(p), p).toBe(true);
    expect(await ownerCanListPods()).toBe(true);
    // Managed again: the stack's state holds each retained object.
    const managed = new Set(stack.resources().map((r) => r.urn.split("::").pop()));
    for (const name of [
      `${OTHER_TEAM}-namespace`,
      `${OTHER_TEAM}-quota`,
      `${OTHER_TEAM}-defaults`,
      `${OTHER_TEAM}-default-deny-ingress`,
    ])
      expect(managed.has(name), name).toBe(true);
    await cp.waitFor(
      "gnn ready again",
      async () => (await admin.get(DELETED[0]!)).status?.state === "ready",
      120_000,
    );
  });
});
