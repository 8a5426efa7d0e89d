/**
 * What can go wrong, by who said no, with the exit code the CLI gives each (docs/cli.md, "Exit
 * codes"): 0 done, 1 invalid input, 2 refused (by the platform's rules or the API server),
 * 3 timed out waiting, 4 cannot reach or authenticate to the cluster, 5 a bug in rayctl, 6 the
 * job failed (`job submit --wait`).
 */
import { InputError } from "./clusterSpec";
import { ConnectionError, KubeError } from "./kube";

export { ConnectionError, InputError, KubeError };

/** The platform's rules or the cluster's state say no: name taken, team-file cluster, quota. */
export class RefusedError extends Error {
  override name = "RefusedError";
}

/** Waiting ended before the cluster was ready; the message says what it was still waiting for. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/** jobFailed: `job submit --wait` saw the job end other than SUCCEEDED. */
export const EXIT = {
  ok: 0,
  invalid: 1,
  refused: 2,
  timeout: 3,
  unreachable: 4,
  internal: 5,
  jobFailed: 6,
} as const;

export function exitCode(err: unknown): number {
  if (err instanceof InputError) return EXIT.invalid;
  if (err instanceof RefusedError || err instanceof KubeError) return EXIT.refused;
  if (err instanceof TimeoutError) return EXIT.timeout;
  if (err instanceof ConnectionError) return EXIT.unreachable;
  return EXIT.internal;
}

/** An API server refusal in words that say what to do. */
export function explainKubeError(err: KubeError, what: string): string {
  switch (err.code) {
    case 403:
      return `the cluster refused to ${what}: ${err.message}. You may lack the rights in this namespace (members of a team may use its namespace and ray-playground); ask the team's owners to add you to its team file.`;
    case 404:
      return `${what}: not found (${err.message}); check the name and -n namespace (\`rayctl get cluster -n <namespace>\` lists them).`;
    case 409:
      return `${what}: ${err.message}; someone changed or created it meanwhile. Run the command again${err.reason === "AlreadyExists" ? " with another name" : ""}.`;
    case 422:
      return `the cluster refused to ${what} as invalid: ${err.message}. This is a bug of rayctl or a CRD version mismatch if the input passed rayctl's checks; report it.`;
    default:
      return `the cluster refused to ${what} (${err.code} ${err.reason}): ${err.message}`;
  }
}
