"""State survives a restart: clusters, add-ons, tasks and keys (even one not given again)."""
from alibabacloud_cs20151215 import models

from conftest import new_cluster, tea_client


def test_restart_keeps_clusters_addons_tasks_and_keys(server, tea_v3):
    c = new_cluster(tea_v3, name="durable", addons=[{"name": "gatekeeper"}])
    before = tea_v3.describe_cluster_addons_upgrade_status(c.cluster_id, models.DescribeClusterAddonsUpgradeStatusRequest()).body
    # Start again with no --access-key: the stored keys must still verify.
    server.restart(args=[])
    client = tea_client(server)
    assert client.describe_cluster_detail(c.cluster_id).body.name == "durable"
    after = client.describe_cluster_addons_upgrade_status(c.cluster_id, models.DescribeClusterAddonsUpgradeStatusRequest()).body
    assert after == before and "gatekeeper" in after
    assert client.describe_task_info(c.task_id).body.state == "success"
    server.restart()
