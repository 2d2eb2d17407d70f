"""The corpus's vocabulary: every route (as ack_wire::ROUTES has it, with real ids filled in),
`case()`, which appends to `cases`, and the markers for big values. See generate.py."""
import base64

BAD, NF = "InvalidParameter", {"cluster": "ErrorClusterNotFound", "task": "ErrorTaskNotFound",
                               "rollout": "ErrorRolloutNotFound", "webhook": "ErrorWebhookNotFound"}
KUBE = "1.31.1-aliyun.1"
MS_OLD = "v0.3.9.4-ff225cd-aliyun"
ROUTES = [  # (action, method, path) for every route of ack_wire::ROUTES, with real ids filled in
    ("CreateCluster", "POST", "/clusters"), ("DescribeClusterDetail", "GET", "/clusters/{C}"),
    ("DeleteCluster", "DELETE", "/clusters/{C}"), ("DescribeClustersV1", "GET", "/api/v1/clusters"),
    ("DescribeTaskInfo", "GET", "/tasks/{T}"), ("DescribeAddons", "GET", "/clusters/components/metadata"),
    ("ListAddons", "GET", "/addons"), ("DescribeAddon", "GET", "/addons/metrics-server"),
    ("DescribeClusterAddonMetadata", "GET", "/clusters/{C}/components/metrics-server/metadata"),
    ("ListClusterAddonInstances", "GET", "/clusters/{C}/addon_instances"),
    ("GetClusterAddonInstance", "GET", "/clusters/{C}/addon_instances/metrics-server"),
    ("DescribeClusterAddonInstance", "GET", "/clusters/{C}/components/metrics-server/instance"),
    ("DescribeClusterAddonsVersion", "GET", "/clusters/{C}/components/version"),
    ("DescribeClusterAddonUpgradeStatus", "GET", "/clusters/{C}/components/metrics-server/upgradestatus"),
    ("DescribeClusterAddonsUpgradeStatus", "GET", "/clusters/{C}/components/upgradestatus"),
    ("InstallClusterAddons", "POST", "/clusters/{C}/components/install"),
    ("UpgradeClusterAddons", "POST", "/clusters/{C}/components/upgrade"),
    ("UnInstallClusterAddons", "POST", "/clusters/{C}/components/uninstall"),
    ("ModifyClusterAddon", "POST", "/clusters/{C}/components/metrics-server/config"),
    ("CancelComponentUpgrade", "POST", "/clusters/{C}/components/metrics-server/cancel"),
    ("PauseComponentUpgrade", "POST", "/clusters/{C}/components/metrics-server/pause"),
    ("ResumeComponentUpgrade", "POST", "/clusters/{C}/components/metrics-server/resume"),
    ("CancelTask", "POST", "/tasks/{T}/cancel"), ("PauseTask", "POST", "/tasks/{T}/pause"),
    ("ResumeTask", "POST", "/tasks/{T}/resume"), ("DescribeClusterTasks", "GET", "/clusters/{C}/tasks"),
    ("ListClusterAddonInstanceResources", "GET", "/clusters/{C}/addon_instances/metrics-server/resources"),
    ("DescribeClusterEvents", "GET", "/clusters/{C}/events"), ("DescribeEvents", "GET", "/events"),
    ("StreamEvents", "GET", "/fleet/events/stream"), ("CreateWebhook", "POST", "/fleet/webhooks"),
    ("ListWebhooks", "GET", "/fleet/webhooks"), ("DeleteWebhook", "DELETE", "/fleet/webhooks/{W}"),
    ("DescribeWebhookDeliveries", "GET", "/fleet/webhooks/{W}/deliveries"),
    ("CreateAddonRollout", "POST", "/fleet/rollouts"), ("ListAddonRollouts", "GET", "/fleet/rollouts"),
    ("DescribeAddonRollout", "GET", "/fleet/rollouts/R-000000000000000000000000"),
    ("DescribeAddonRolloutClusters", "GET", "/fleet/rollouts/R-000000000000000000000000/clusters"),
    ("PauseAddonRollout", "POST", "/fleet/rollouts/R-000000000000000000000000/pause"),
    ("ResumeAddonRollout", "POST", "/fleet/rollouts/R-000000000000000000000000/resume"),
    ("CancelAddonRollout", "POST", "/fleet/rollouts/R-000000000000000000000000/cancel"),
    ("ModifyClusterTags", "POST", "/clusters/{C}/tags"), ("DescribeFleetAddons", "GET", "/fleet/addons"),
    ("InjectFault", "POST", "/_emulator/faults"), ("ClearFaults", "DELETE", "/_emulator/faults"),
]
ROUTE = {a: (m, p) for a, m, p in ROUTES}
cases = []


def case(name, action, status, code, **kw):
    method, path = ROUTE[action]
    cases.append({"name": name, "action": action, "method": kw.pop("method", method),
                  "path": kw.pop("path", path), **kw, "status": status, "code": code})


# Big values are spelled as markers that the runner expands, so the .jsonl stays small.
EXPAND = {"@BIG@": "n" * 1_000_000, "@OPEN@": "[" * 100_000, "@CLOSE@": "]" * 100_000}


def raw(b):
    return base64.b64encode(b).decode()
