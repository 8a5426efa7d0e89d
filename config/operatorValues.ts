/**
 * Helm values of the kuberay-operator release as the configuration resolves them: the
 * program's defaults with the stack's overrides merged over them. In config/ because the
 * loader checks them (stackChecks.ts) before anything is registered; components render them.
 */
import deepmerge from "deepmerge";
import { type ResolvedPool } from "./nodePools";

/** Lists are replaced, not appended: an override of tolerations means exactly those. */
export const mergeValues = (
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> => deepmerge(base, over, { arrayMerge: (_, source) => source });

export function operatorValues(
  overrides: Readonly<Record<string, unknown>>,
  systemPool: ResolvedPool | undefined,
): Record<string, unknown> {
  const defaults: Record<string, unknown> = {
    nodeSelector: systemPool ? { ...systemPool.selector } : {},
    // Both limits set: Helm merges these over the chart's (cpu 100m), and a request above a limit is refused.
    resources: { requests: { cpu: "200m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
    metrics: { enabled: true },
    // Watch every namespace: teams come and go without touching the operator.
    singleNamespaceInstall: false,
  };
  return mergeValues(defaults, overrides as Record<string, unknown>);
}
