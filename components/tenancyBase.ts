import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type TenancyContext } from "../render/tenancy";
import {
  type AdmissionContext,
  autoscalerAccountAdmission,
  rayClusterAdmission,
  rayJobAdmission,
} from "../render/rayClusterAdmission";
import { admissionRules, gpuPriorityClasses, rayUserRole, teamOwnerRole } from "../render/tenancyBase";

export interface TenancyBaseArgs {
  readonly gpuTypes: TenancyContext["gpuTypes"];
  readonly provider: k8s.Provider;
  readonly admission: AdmissionContext;
}

/**
 * Cluster-wide pieces every team relies on: the roles bound to team members in their
 * namespaces, a PriorityClass per GPU type for per-type quotas, and the admission rules that
 * hold in every team namespace (GPU pods carry their type's PriorityClass, Services stay
 * inside, no long-lived token Secrets).
 */
export class TenancyBase extends pulumi.ComponentResource {
  readonly rayUserRole: k8s.rbac.v1.ClusterRole;
  readonly teamOwnerRole: k8s.rbac.v1.ClusterRole;
  readonly priorityClasses: Record<string, k8s.scheduling.v1.PriorityClass>;
  /** The admission rules in force: team members get access only after them. */
  readonly admissionBindings: k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding[];

  constructor(name: string, args: TenancyBaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ray-platform:tenancy:Base", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    this.rayUserRole = new k8s.rbac.v1.ClusterRole(`${name}-ray-user`, rayUserRole(), child);
    this.teamOwnerRole = new k8s.rbac.v1.ClusterRole(`${name}-team-owner`, teamOwnerRole(), child);
    this.priorityClasses = Object.fromEntries(
      gpuPriorityClasses(args).map(({ type, priorityClass }) => [
        type,
        new k8s.scheduling.v1.PriorityClass(`${name}-gpu-${type}`, priorityClass, child),
      ]),
    );
    this.admissionBindings = [
      ...admissionRules(),
      rayClusterAdmission(args.admission),
      rayJobAdmission(args.admission),
      autoscalerAccountAdmission(args.admission),
    ].map((rule) => {
      const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
        `${name}-${rule.name}`,
        rule.policy,
        child,
      );
      return new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
        `${name}-${rule.name}`,
        rule.binding,
        { ...child, dependsOn: [policy] },
      );
    });
    this.registerOutputs({});
  }
}
