"""The seed's SDK session, runnable: python seed_example.py NAMESPACE NAME

Creates a cluster and waits for it, reads it, scales its workers and deletes it; prints what it
saw as JSON lines. KUBECONFIG (and RAY_PLATFORM_CONTEXT, optional) say which cluster and user.
"""

from __future__ import annotations

import json
import os
import sys

from ray_platform import RayCluster


def main() -> None:
    namespace, name = sys.argv[1], sys.argv[2]
    context = os.environ.get("RAY_PLATFORM_CONTEXT")
    cluster = RayCluster.create_cluster(
        name=name,
        namespace=namespace,
        cpus_per_worker=2,
        memory_per_worker="8Gi",
        worker_replicas=1,
        await_ready=True,
        timeout="3m",
        context=context,
    )
    print(json.dumps({"created": cluster.name, "status": cluster.status, "workers": cluster.num_workers, "head_ip": cluster.head_ip}))
    group = cluster.worker_groups[0]["name"]
    cluster.scale_worker_group(worker_group=group, replicas=2).wait(timeout="3m")
    again = RayCluster.get_cluster(name=name, namespace=namespace, context=context)
    print(json.dumps({"scaled": again.name, "workers": again.num_workers, "listed": [c.name for c in RayCluster.list_clusters(namespace=namespace, context=context)]}))
    print(json.dumps({"token_length": len(cluster.token)}))
    cluster.delete()
    print(json.dumps({"deleted": name}))


if __name__ == "__main__":
    main()
