/** The platform's policies (policy/rules.ts) over the offline plan's resources. */
import { violations } from "../policy/rules";
import { type RegisteredResource } from "./engine";

export function checkPolicies(resources: readonly RegisteredResource[]): string[] {
  return violations(resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs })));
}
