/** The overview help and the version: with commands.ts, all `rayctl --help` loads (bin.ts), so that it starts at once. */
import { KUBERAY_NAMESPACE, TOOL_PORTS } from "../../config/wire";
import { version } from "../package.json";

export const CLIENT_VERSION: string = version;

export const HELP = `rayctl ${CLIENT_VERSION}: Ray clusters on the ray-platform, from the command line

Usage:
  rayctl create cluster NAME -n NAMESPACE [options]   create a cluster (--file for YAML)
  rayctl get cluster [NAME] (-n NAMESPACE | -A)        list clusters: NAME CREATED WORKERS ...
  rayctl get workergroups CLUSTER -n NAMESPACE         a cluster's worker groups: ready, bounds, shape
  rayctl get nodes CLUSTER -n NAMESPACE                its Ray nodes (pods): group, node, GPUs, state
  rayctl describe cluster NAME -n NAMESPACE [--show-token]   endpoints, head and worker groups (and the token)
  rayctl scale cluster NAME -n NAMESPACE --worker-group GROUP (--replicas N | --min-workers N --max-workers N) [--wait]
  rayctl delete cluster NAME -n NAMESPACE
  rayctl wait cluster NAME -n NAMESPACE [--timeout 10m]
  rayctl connect NAME -n NAMESPACE                     forward the cluster's ports, print the URLs
  rayctl logs NAME -n NAMESPACE [--worker-group G | --node POD] [-f] [--tail N]   the head's log, or workers'
  rayctl job submit -n NAMESPACE [--working-dir DIR] [create options | --cluster NAME] [--wait] -- ENTRYPOINT...
  rayctl job list|describe|logs|wait|stop|delete [NAME] -n NAMESPACE   Ray jobs (KubeRay RayJobs)

Each command has its own help: rayctl create cluster --help.

Create options (a cluster is checked by the same rules as a team file's rayClusters entry):
  --cpus-in-head N --memory-in-head Q       head resources (default: a whole head node)
  --cpus-per-worker N --memory-per-worker Q worker resources (default: a whole node of the pool)
  --gpus-per-worker N --worker-gpu-type T   GPUs per worker (type default: the smallest offered)
  --workers N                               fixed number of workers (default 1; 0 for none)
  --min-workers N --max-workers N           autoscaling bounds (min below max: autoscaler on)
  --ray-version V                           a Ray version the platform has images for
  --notebook --vscode-server --with-tutorials   JupyterLab :${TOOL_PORTS.notebook}, OpenVSCode :${TOOL_PORTS.vscode}, tutorials (turns the notebook on)
  -f, --file FILE                           a team file rayClusters entry or a ray.io/v1 RayCluster
  --wait [--timeout 10m]                    wait until ready, progress on stderr
  --dry-run[=client|server]                 print what would be created; server: admitted by the API server

Common options:
  -n, --namespace NS (default: the kubeconfig context's)   -A, --all-namespaces   -o, --output table|wide|name|json|yaml
  --context NAME  --kubeconfig FILE  --platform-namespace NS (default ${KUBERAY_NAMESPACE})
  -h, --help  --version

Exit codes: 0 done, 1 invalid input, 2 refused (by the platform's rules or the cluster),
3 timed out waiting, 4 cannot reach the cluster, 5 a bug in rayctl, 6 the job failed.
`;
