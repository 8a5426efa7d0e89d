/**
 * Evaluates a ValidatingAdmissionPolicy's CEL the way the API server does: match conditions
 * (a false one skips the policy), then variables in order, then every validation. Besides,
 * which requests a policy applies to (its match constraints) and what the API server refuses
 * in a policy and its binding.
 */
import { evaluate, parse } from "@marcbachmann/cel-js";

/**
 * The messages of the validations `object` fails ([] when it is admitted): a CREATE, or given
 * `oldObject` an UPDATE. `matched`: the policy's match conditions are taken as met, for those
 * that ask the authorizer (who the requester is), which this evaluator has not. `request`:
 * more of the request (userInfo, namespace, resource, subResource), for rules that read it.
 */
export function policyDenials(
  spec: any,
  object: Record<string, unknown>,
  oldObject: Record<string, unknown> | null = null,
  opts: { matched?: boolean; request?: Record<string, unknown> } = {},
): string[] {
  const ctx = {
    object,
    oldObject,
    request: { operation: oldObject ? "UPDATE" : "CREATE", ...opts.request },
  };
  if (!opts.matched && !(spec.matchConditions ?? []).every((c: any) => evaluate(c.expression, ctx) === true))
    return [];
  const variables: Record<string, unknown> = {};
  for (const v of spec.variables ?? []) variables[v.name] = evaluate(v.expression, { ...ctx, variables });
  return spec.validations
    .filter((v: any) => evaluate(v.expression, { ...ctx, variables }) !== true)
    .map((v: any) => v.message);
}

/** A request as the API server matches it against a policy's matchConstraints. */
export interface MatchedRequest {
  group: string;
  version: string;
  /** Plural, e.g. pods. */
  resource: string;
  subResource?: string;
  operation: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  /** The labels of the request's namespace. */
  namespaceLabels: Record<string, string>;
}

/**
 * Whether the policy applies to the request: one of its resourceRules names the request's
 * group, version, operation and resource (`pods/resize` for a subresource), and its
 * namespaceSelector (matchExpressions with Exists or DoesNotExist only) selects the namespace.
 */
export function applies(spec: any, req: MatchedRequest): boolean {
  const has = (list: string[] | undefined, v: string) => (list ?? []).some((x) => x === v || x === "*");
  const resource = req.subResource ? `${req.resource}/${req.subResource}` : req.resource;
  const ruleMatches = (spec.matchConstraints?.resourceRules ?? []).some(
    (r: any) =>
      has(r.apiGroups, req.group) &&
      has(r.apiVersions, req.version) &&
      has(r.operations, req.operation) &&
      has(r.resources, resource),
  );
  const selector = spec.matchConstraints?.namespaceSelector ?? {};
  const selected = (selector.matchExpressions ?? []).every((e: any) => {
    if (e.operator === "Exists") return e.key in req.namespaceLabels;
    if (e.operator === "DoesNotExist") return !(e.key in req.namespaceLabels);
    throw new Error(`applies: operator ${e.operator} is not modelled`);
  });
  return ruleMatches && selected;
}

const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CEL_IDENTIFIER = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

/**
 * What the API server refuses in a ValidatingAdmissionPolicy and its binding
 * (k8s.io/kubernetes pkg/apis/admissionregistration/validation): [] when it accepts both.
 * Names, the failure policy, resource rules, match condition and variable names, CEL that
 * does not parse, messages with line breaks, reasons other than the four it knows, and a
 * binding that names another policy or no action.
 */
export function apiServerProblems(rule: { policy: any; binding: any }): string[] {
  const problems: string[] = [];
  const problem = (ok: boolean, what: string) => ok || problems.push(what);
  const compiles = (expression: unknown) => {
    if (typeof expression !== "string" || expression === "") return false;
    try {
      parse(expression);
      return true;
    } catch {
      return false;
    }
  };
  const { policy, binding } = rule;
  const name = policy.metadata?.name;
  problem(typeof name === "string" && name.length <= 253 && DNS_SUBDOMAIN.test(name), `policy name ${name}`);
  const spec = policy.spec ?? {};
  problem(["Fail", "Ignore"].includes(spec.failurePolicy ?? "Fail"), `failurePolicy ${spec.failurePolicy}`);
  const rules = spec.matchConstraints?.resourceRules ?? [];
  problem(rules.length > 0, "no resourceRules");
  for (const [i, r] of rules.entries()) {
    for (const list of ["apiGroups", "apiVersions", "operations", "resources"])
      problem(Array.isArray(r[list]) && r[list].length > 0, `resourceRules[${i}].${list} is empty`);
    for (const op of r.operations ?? [])
      problem(["CREATE", "UPDATE", "DELETE", "CONNECT", "*"].includes(op), `operation ${op}`);
    for (const v of r.apiVersions ?? []) problem(v !== "", `resourceRules[${i}] apiVersion ""`);
    for (const res of r.resources ?? []) problem(res !== "", `resourceRules[${i}] resource ""`);
  }
  for (const e of spec.matchConstraints?.namespaceSelector?.matchExpressions ?? [])
    problem(QUALIFIED_NAME.test(e.key ?? ""), `namespaceSelector key ${e.key}`);
  const unique = (what: string, names: string[]) =>
    problem(new Set(names).size === names.length, `${what} names repeat: ${names.join(", ")}`);
  for (const c of spec.matchConditions ?? []) {
    problem(QUALIFIED_NAME.test(c.name ?? ""), `matchCondition name "${c.name}"`);
    problem(compiles(c.expression), `matchCondition ${c.name}: ${c.expression}`);
  }
  unique(
    "matchCondition",
    (spec.matchConditions ?? []).map((c: any) => c.name),
  );
  for (const v of spec.variables ?? []) {
    problem(CEL_IDENTIFIER.test(v.name ?? ""), `variable name "${v.name}"`);
    problem(compiles(v.expression), `variable ${v.name}: ${v.expression}`);
  }
  unique(
    "variable",
    (spec.variables ?? []).map((v: any) => v.name),
  );
  problem((spec.validations ?? []).length > 0, "no validations");
  for (const v of spec.validations ?? []) {
    problem(compiles(v.expression), `validation: ${v.expression}`);
    problem(typeof v.message !== "string" || !/[\r\n]/.test(v.message), `message with a line break`);
    problem(
      v.reason === undefined ||
        ["Unauthorized", "Forbidden", "Invalid", "RequestEntityTooLarge"].includes(v.reason),
      `reason "${v.reason}"`,
    );
  }
  problem(binding.metadata?.name !== undefined && DNS_SUBDOMAIN.test(binding.metadata.name), "binding name");
  problem(binding.spec?.policyName === name, `binding names policy ${binding.spec?.policyName}, not ${name}`);
  const actions: string[] = binding.spec?.validationActions ?? [];
  problem(
    actions.length > 0 && actions.every((a) => ["Deny", "Warn", "Audit"].includes(a)),
    `validationActions ${actions.join(", ")}`,
  );
  problem(!(actions.includes("Deny") && actions.includes("Warn")), "validationActions Deny and Warn");
  return problems;
}
