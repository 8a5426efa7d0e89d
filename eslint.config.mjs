// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      ".stryker-tmp/",
      "reports/",
      "plan-out/",
      "scratch/",
      "policy/node_modules/",
      "client/dist/",
      "client/python/src/ray_platform/_bundle/",
      "client/python/build/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.property.name='only']", message: "no .only tests" },
        { selector: "CallExpression[callee.property.name='skip']", message: "no skipped tests" },
      ],
    },
  },
  {
    // `any` only where untyped data comes in: Pulumi's RPC requests in the mock engine, the
    // Kubernetes API's JSON in the client (and its benchmark) and in the real control plane's
    // harness (real/), and tests and the fuzzer (fuzz/) reading rendered objects. Elsewhere it is allowed line by
    // line, with the reason.
    files: [
      "plan/engine.ts",
      "client/src/**/*.ts",
      "bench/client.ts",
      "test/**/*.ts",
      "real/**/*.ts",
      "fuzz/**/*.ts",
    ],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    // Type-aware: a promise nobody awaits (a Pulumi call in async program code, a client request)
    // fails silently, so the program's and the client's code may leave none.
    files: [
      "index.ts",
      "components/**/*.ts",
      "config/**/*.ts",
      "render/**/*.ts",
      "plan/**/*.ts",
      "cost/**/*.ts",
      "client/src/**/*.ts",
    ],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
    },
  },
  {
    // Components get typed config; only index.ts reads Pulumi config or files.
    files: ["components/**/*.ts", "render/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "node:fs", message: "components never read files; index.ts loads everything" },
            { name: "fs", message: "components never read files" },
          ],
        },
      ],
      "no-restricted-properties": [
        "error",
        { object: "pulumi", property: "Config", message: "only index.ts reads pulumi.Config" },
      ],
    },
  },
);
