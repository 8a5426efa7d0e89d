// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "plan-out/", "scratch/", "policy/node_modules/", "client/dist/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // The plan engine reads Pulumi's untyped RPC requests; `any` is confined there and in tests.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.property.name='only']", message: "no .only tests" },
        { selector: "CallExpression[callee.property.name='skip']", message: "no skipped tests" },
      ],
    },
  },
  {
    // Components get typed config; only index.ts reads Pulumi config or files.
    files: ["components/**/*.ts", "render/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: [{ name: "node:fs", message: "components never read files; index.ts loads everything" }, { name: "fs", message: "components never read files" }] },
      ],
      "no-restricted-properties": ["error", { object: "pulumi", property: "Config", message: "only index.ts reads pulumi.Config" }],
    },
  },
);
