/** The platform's rules as a Pulumi policy pack: `pulumi preview --policy-pack policy`. */
import { PolicyPack } from "@pulumi/policy";
import { RULES } from "./rules";

new PolicyPack("ray-platform", {
  policies: RULES.map((rule) => ({
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      const resources = args.resources.map((r) => ({
        type: r.type,
        name: r.name,
        urn: r.urn,
        props: r.props,
      }));
      for (const v of rule.check(resources).violations) reportViolation(v.message, v.resource?.urn);
    },
  })),
});
