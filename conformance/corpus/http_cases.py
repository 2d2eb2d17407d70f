"""Cases of the signature, the path, the query and the method, on every route."""
from corpus import BAD, KUBE, NF, ROUTE, ROUTES, case

# Every route, with its signature missing or spoilt: refused before anything is read.
SPOILT = [
    ("unsigned", {"mode": "none"}, 400, "IncompleteSignature"),
    ("wrong-secret", {"secret": "not-the-secret"}, 400, "SignatureDoesNotMatch"),
    ("body-hash-mismatch", {"set_after": {"x-acs-content-sha256": "0" * 64}}, 400, "SignatureDoesNotMatch"),
    ("unknown-key", {"ak": "nobody"}, 404, "InvalidAccessKeyId.NotFound"),
]
for action, _, _ in ROUTES:
    for label, auth, status, code in SPOILT:
        case(f"{action}/{label}", action, status, code, auth=auth)

# The signature headers, each missing, duplicated or malformed (on a read and on a write).
for action in ["DescribeClustersV1", "CreateCluster"]:
    body = {"name": "never-made", "region_id": "cn-hangzhou"} if action == "CreateCluster" else None
    sig = [
        ("no-authorization", {"drop_after": ["authorization"]}, 400, "IncompleteSignature"),
        ("authorization-bearer", {"set_after": {"authorization": "Bearer abc"}}, 400, "IncompleteSignature"),
        ("authorization-empty", {"set_after": {"authorization": ""}}, 400, "IncompleteSignature"),
        ("authorization-no-signature", {"authorization": "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders={sh}"},
         400, "IncompleteSignature"),
        ("authorization-no-credential", {"authorization": "ACS3-HMAC-SHA256 SignedHeaders={sh},Signature={sig}"},
         400, "IncompleteSignature"),
        ("authorization-garbage-signature", {"authorization": "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders={sh},Signature=zz\u00e9"},
         400, "SignatureDoesNotMatch"),
        ("roa-malformed", {"set_after": {"authorization": "acs testid"}}, 400, "IncompleteSignature"),
        ("roa-bad-signature", {"set_after": {"authorization": "acs testid:AAAA"}}, 400, "IncompleteSignature"),
        ("signed-headers-without-date", {"unsigned": ["x-acs-date"]}, 400, "IncompleteSignature"),
        ("signed-headers-without-nonce", {"unsigned": ["x-acs-signature-nonce"]}, 400, "IncompleteSignature"),
        ("signed-headers-without-host", {"unsigned": ["host"]}, 400, "IncompleteSignature"),
        ("signed-headers-without-action", {"unsigned": ["x-acs-action"]}, 400, "IncompleteSignature"),
        ("signed-headers-without-body-hash", {"unsigned": ["x-acs-content-sha256"]}, 400, "IncompleteSignature"),
        ("date-malformed", {"set_before": {"x-acs-date": "yesterday"}}, 400, "InvalidTimeStamp.Format"),
        ("date-expired", {"set_before": {"x-acs-date": "2001-01-01T00:00:00Z"}}, 400, "InvalidTimeStamp.Expired"),
        ("date-future", {"set_before": {"x-acs-date": "2999-01-01T00:00:00Z"}}, 400, "InvalidTimeStamp.Expired"),
        ("nonce-reused", {"repeat_nonce": True}, 400, "SignatureNonceUsed"),
        ("action-duplicated", {"dup_after": ["x-acs-action"]}, 400, "SignatureDoesNotMatch"),
        ("date-duplicated", {"dup_after": ["x-acs-date"]}, 400, "SignatureDoesNotMatch"),
        ("nonce-duplicated", {"dup_after": ["x-acs-signature-nonce"]}, 400, "SignatureDoesNotMatch"),
        ("body-hash-duplicated", {"dup_after": ["x-acs-content-sha256"]}, 400, "SignatureDoesNotMatch"),
        ("host-changed", {"set_after": {"host": "evil.example"}}, 400, "SignatureDoesNotMatch"),
    ]
    for label, auth, status, code in sig:
        if action == "CreateCluster" and label == "nonce-reused":
            continue  # the first send would make a cluster
        case(f"{action}/{label}", action, status, code, auth=auth, **({"body": body} if body else {}))

# Path tricks and overlong or odd ids, in each kind of path parameter.
IDS = [("dotdot-encoded-slash", "..%2F..%2Fetc%2Fpasswd", BAD), ("encoded-slash", "a%2Fb", BAD),
       ("nul", "c%00", BAD), ("space", "a%20b", BAD), ("overlong", "c" * 65, BAD),
       ("sql", "x'%20OR%20'1'%3D'1", BAD), ("invalid-utf8", "%FF%FE", BAD), ("emoji", "%F0%9F%9A%80", BAD),
       ("shell", "%24(reboot)", BAD)]
# Well-formed bodies, for the cases where only an id is wrong.
GOOD = {"InstallClusterAddons": {"body": [{"name": "gatekeeper"}]},
        "UpgradeClusterAddons": {"body": [{"component_name": "metrics-server", "next_version": "v0.3.9.5-aliyun"}]},
        "UnInstallClusterAddons": {"body": [{"name": "metrics-server"}]},
        "ModifyClusterAddon": {"body": {"config": "{}"}}, "ModifyClusterTags": {"body": [{"key": "k", "value": "v"}]}}
WITH = {"{C}": ("cluster", [a for a, _, p in ROUTES if "{C}" in p]), "{T}": ("task", ["DescribeTaskInfo", "CancelTask", "PauseTask", "ResumeTask"]),
        "R-000000000000000000000000": ("rollout", [a for a, _, p in ROUTES if "/fleet/rollouts/" in p])}
for ph, (kind, actions) in WITH.items():
    for action in actions:
        for label, val, code in IDS:
            case(f"{action}/{kind}-id-{label}", action, 400, code, path=ROUTE[action][1].replace(ph, val))
        case(f"{action}/{kind}-id-unknown", action, 404, NF[kind], **GOOD.get(action, {}),
             path=ROUTE[action][1].replace(ph, "c0" * 16 if kind == "cluster" else "T-" + "0" * 24 if kind == "task" else "R-" + "f" * 24))
for action in ["DeleteWebhook", "DescribeWebhookDeliveries"]:
    for label, val, code in IDS[:5]:
        case(f"{action}/webhook-id-{label}", action, 400, code, path=ROUTE[action][1].replace("{W}", val))
    case(f"{action}/webhook-id-unknown", action, 404, NF["webhook"], path=ROUTE[action][1].replace("{W}", "W-" + "0" * 24))
for action in [a for a, _, p in ROUTES if "metrics-server" in p]:
    for label, val in [("dotdot", "..%2F..%2Fx"), ("nul", "ms%00"), ("overlong", "m" * 129), ("quote", "ms%22%3B")]:
        case(f"{action}/addon-{label}", action, 400, BAD, path=ROUTE[action][1].replace("metrics-server", val))

# Paging: negative, zero, past the maximum, overflowing, not a number, given twice.
PAGING = [a for a in ["DescribeClustersV1", "DescribeClusterTasks", "ListAddonRollouts", "DescribeAddonRolloutClusters",
                      "DescribeWebhookDeliveries", "DescribeEvents", "DescribeClusterEvents"]]
PAGES = [("size-negative", [["page_size", "-1"]]), ("size-zero", [["page_size", "0"]]),
         ("size-huge", [["page_size", "100000"]]), ("size-overflow", [["page_size", "99999999999999999999"]]),
         ("size-text", [["page_size", "ten"]]), ("size-float", [["page_size", "1.5"]]),
         ("number-zero", [["page_number", "0"]]), ("number-negative", [["page_number", "-3"]]),
         ("number-overflow", [["page_number", "4294967296"]]), ("size-twice", [["page_size", "10"], ["page_size", "20"]]),
         ("number-twice", [["page_number", "1"], ["page_number", "1"]])]
for action in PAGING:
    for label, q in PAGES:
        if action == "DescribeAddonRolloutClusters":
            continue  # its rollout id is checked first: 404 for the placeholder
        case(f"{action}/page-{label}", action, 400, BAD, query=q)

# Query parameters that are checked: ids, JSON arrays, states, filters.
QUERIES = [("DescribeClusterAddonsUpgradeStatus", "componentIds-not-json", [["componentIds", "metrics-server"]]),
           ("DescribeClusterAddonsUpgradeStatus", "componentIds-numbers", [["componentIds", "[1,2]"]]),
           ("DescribeClusterAddonsUpgradeStatus", "componentIds-deep", [["componentIds", "[" * 3000]]),
           ("ListAddons", "cluster-id-dotdot", [["cluster_id", "../x"]]), ("ListAddons", "cluster-id-nul", [["cluster_id", "c\u0000"]]),
           ("DescribeAddon", "cluster-id-sql", [["cluster_id", "' OR 1=1"]]),
           ("DescribeAddons", "region-missing", [["cluster_version", KUBE]]),
           ("DescribeClusterEvents", "task-id-bad", [["task_id", "../T"]]), ("DescribeEvents", "type-unknown", [["type", "'; --"]]),
           ("DescribeEvents", "cluster-id-bad", [["cluster_id", "c;d"]]),
           ("ListAddonRollouts", "state-unknown", [["state", "'; --"]]), ("StreamEvents", "after-not-id", [["after", "-1"]]),
           ("StreamEvents", "after-text", [["after", "$(id)"]]),
           ("DescribeClustersV1", "tag-no-colon", [["tag", "env"]]), ("DescribeClustersV1", "tag-empty-key", [["tag", ":x"]]),
           ("DescribeClustersV1", "tag-nul", [["tag", "e\u0000:v"]]), ("DescribeClustersV1", "tag-long", [["tag", "k" * 129 + ":v"]]),
           ("DescribeFleetAddons", "tag-no-colon", [["tag", "env"]])]
for action, label, q in QUERIES:
    case(f"{action}/query-{label}", action, 400, BAD, query=q)
# Filters reach SQL: a NUL or other control character in any of them is refused, not queried.
for action, params in [("DescribeClustersV1", ["name", "Name", "search", "cluster_type", "cluster_spec", "profile", "region_id",
                                               "cluster_id", "addon", "addon_version"]),
                       ("DescribeFleetAddons", ["region_id", "kubernetes_version", "addon"]), ("ListAddonRollouts", ["addon"]),
                       ("DescribeAddons", ["cluster_version"]), ("ListAddons", ["cluster_version"])]:
    for p in params:
        for label, v in [("nul", "a\u0000"), ("newline", "a\nb")]:
            case(f"{action}/filter-{p}-{label}", action, 400, BAD, query=[[p, v], ["region", "cn-hangzhou"]])
# Raw query bytes the SDKs would never send.
for label, rq in [("invalid-utf8", "page_size=%FF"), ("nul", "page_size=1%00"), ("lone-percent", "page_size=%"),
("semicolon", "page_size=1;page_number=0")]:
    case(f"DescribeClustersV1/raw-query-{label}", "DescribeClustersV1", 400, BAD, raw_query=rq)

# Methods a route does not take, and paths that are no route.
for action, method in [("CreateCluster", "PUT"), ("DescribeClustersV1", "POST"), ("ListWebhooks", "PATCH"),
                       ("DescribeTaskInfo", "DELETE"), ("ClearFaults", "GET")]:
    case(f"{action}/method-{method}", action, 405, "UnsupportedHTTPMethod", method=method)
for label, p in [("unknown", "/nope"), ("dotdot", "/clusters/../../etc/passwd"), ("trailing-slash", "/addons/"),
                 ("double-slash", "//clusters"), ("encoded-route", "/%63lusters"), ("deep", "/clusters/" + "a/" * 200)]:
    case(f"route-{label}", "ListAddons", 404, "InvalidAction.NotFound", path=p)
