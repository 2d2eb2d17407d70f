#!/usr/bin/env python3
"""Writes bad_inputs.jsonl, the bad-input corpus that conformance/python/test_corpus.py sends.

Kept as a generator because most cases are one bad value crossed with many routes; the .jsonl
is committed so that a reviewer sees every case, and `python3 generate.py` must leave it unchanged
(the runner checks). Placeholders the runner fills: {C} a real cluster, {T} its task, {W} a
real webhook. A case: name, method, path, optional query ([[k, v], ...]) or raw_query, body
(JSON, sent compact) or body_b64 (raw bytes), optional auth (how to spoil the signature), and
the expected status and code.
"""
import base64
import json
import pathlib

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

# CreateCluster: names as ACK documents them, Kubernetes versions, add-ons, tags, types.
def create(label, body=None, status=400, code=BAD, **kw):
    if body is not None:
        kw["body"] = {"region_id": "cn-hangzhou", "cluster_type": "ManagedKubernetes", **body}
    case(f"CreateCluster/{label}", "CreateCluster", status, code, **kw)


NAMES = {"empty": "", "nul": "a\u0000b", "newline": "a\nb", "tab": "a\tb", "escape": "\u001b[31mred", "del": "a\u007f",
         "emoji": "prod-\U0001F680", "slash": "a/b", "dotdot": "../etc", "dot": "a.b", "space": "a b",
         "leading-dash": "-prod", "only-dash": "-", "too-long": "a" * 64, "too-long-chinese": "集" * 64,
         "sql": "x'; DROP TABLE clusters;--", "sql-union": "a UNION SELECT 1", "shell-subst": "$(reboot)",
         "shell-backtick": "`id`", "shell-pipe": "a|b", "shell-semicolon": "a;b", "html": "<script>",
         "quote": "a\"b", "backslash": "a\\b", "percent": "100%", "fullwidth": "\uff21", "accented": "na\u00efve",
         "rtl-override": "a\u202eb", "zero-width": "a\u200bb", "bom": "\ufeffa", "lone-surrogate-escape": None,
         "huge": "@BIG@"}
for label, name in NAMES.items():
    if name is not None:
        create(f"name-{label}", {"name": name})
create("name-lone-surrogate", body_b64=raw(b'{"name":"\\ud800","region_id":"r"}'))
create("name-missing", {})
for label, v in [("number", 5), ("null", None), ("array", ["a"]), ("object", {"a": 1}), ("bool", True)]:
    create(f"name-{label}", {"name": v} if v is not None else {"name": None, "nmae": "typo"})
for label, v in [("latest", "latest"), ("v-prefix", "v1.31.1"), ("one-part", "1"), ("four-parts", "1.31.1.1"),
                 ("no-build", "1.31.1-aliyun"), ("gke", "1.31.1-gke.1"), ("sql", "1.31'; --"), ("nul", "1.31\u0000"),
                 ("spaces", " 1.31 "), ("overflow", "1.99999999999999999999"), ("fullwidth", "\uff11.31"),
                 ("number", 1.31), ("huge", "@BIG@")]:
    create(f"kube-{label}", {"name": "k", "kubernetes_version": v})
for label, addons, code in [("unknown-name", [{"name": "no-such-addon"}], "AddonNotFound"),
                            ("unknown-version", [{"name": "metrics-server", "version": "v9.9.9"}], "AddonNotFound"),
                            ("sql-name", [{"name": "x' OR 1=1 --"}], "AddonNotFound"),
                            ("dotdot-name", [{"name": "../../etc"}], "AddonNotFound"),
                            ("empty-name", [{"name": ""}], BAD), ("listed-twice", [{"name": "coredns"}, {"name": "coredns"}], BAD),
                            ("config-not-json", [{"name": "metrics-server", "config": "{not json"}], BAD),
                            ("config-unknown-key", [{"name": "metrics-server", "config": "{\"zzz\":1}"}], BAD),
                            ("config-shell", [{"name": "metrics-server", "config": "$(reboot)"}], BAD),
                            ("name-number", [{"name": 7}], BAD), ("not-array", {"name": "coredns"}, BAD),
                            ("disabled-string", [{"name": "coredns", "disabled": "yes"}], BAD)]:
    create(f"addons-{label}", {"name": "a", "addons": addons}, status=404 if code == "AddonNotFound" else 400, code=code)
for label, tags in [("key-missing", [{"value": "v"}]), ("key-empty", [{"key": "", "value": "v"}]),
                    ("key-long", [{"key": "k" * 129}]), ("value-long", [{"key": "k", "value": "v" * 129}]),
                    ("key-nul", [{"key": "k\u0000"}]), ("value-nul", [{"key": "k", "value": "\u0000"}]),
                    ("value-escape", [{"key": "k", "value": "\u001b[2J"}]), ("key-twice", [{"key": "k"}, {"key": "k"}]),
                    ("too-many", [{"key": f"k{i}"} for i in range(21)]), ("key-number", [{"key": 1}]),
                    ("not-array", {"key": "k"}), ("value-object", [{"key": "k", "value": {"a": 1}}])]:
    create(f"tags-{label}", {"name": "t", "tags": tags})
for label, body in [("region-missing", {"name": "r", "region_id": ""}), ("region-nul", {"name": "r", "region_id": "cn\u0000"}),
                    ("region-long", {"name": "r", "region_id": "r" * 129}), ("zone-newline", {"name": "r", "zone_id": "a\nb"}),
                    ("vswitch-nul", {"name": "r", "vswitch_ids": ["vsw\u0000"]}), ("vswitch-not-array", {"name": "r", "vswitch_ids": "vsw"}),
                    ("type-unknown", {"name": "r", "cluster_type": "Serverless'--"}), ("type-number", {"name": "r", "cluster_type": 1})]:
    create(label, body)
for label, b in [("json-truncated", b'{"name":"a","region_id":"r"'), ("json-trailing", b'{"name":"a","region_id":"r"}}'),
                 ("json-single-quotes", b"{'name':'a'}"), ("json-array", b'[{"name":"a","region_id":"r"}]'),
                 ("json-string", b'"a"'), ("json-null", b"null"), ("json-number", b"42"), ("empty", b""),
                 ("invalid-utf8", b'{"name":"\xff\xfe","region_id":"r"}'), ("nul-byte", b'{"name":"a\x00","region_id":"r"}'),
                 ("raw-newline-in-string", b'{"name":"a\nb","region_id":"r"}'), ("comment", b'{"name":"a"/*x*/}'),
                 ("nan", b'{"name":"a","region_id":"r","addons":NaN}'), ("deep-nesting", b'{"name":"a","x":@OPEN@@CLOSE@}'),
                 ("duplicate-key-bad-last", b'{"name":"ok","name":"../x","region_id":"r"}'), ("utf16", '{"name":"a"}'.encode("utf-16"))]:
    create(label, body_b64=raw(b))

# The add-on operations on a real cluster: unknown names and versions, wrong shapes.
MALFORMED = [("json-truncated", b"[{"), ("invalid-utf8", b"[{\"name\":\"\xff\"}]"), ("empty", b""), ("json-object-not-array", b"{}"),
             ("deep-nesting", b"@OPEN@@CLOSE@")]
OPS = {"InstallClusterAddons": [("unknown-name", [{"name": "no-such-addon", "version": "v1"}], 404, "AddonNotFound"),
                                ("installed-already", [{"name": "metrics-server", "version": MS_OLD}], 409, "AddonAlreadyInstalled"),
                                ("name-sql", [{"name": "a'; DELETE FROM clusters; --", "version": "v1"}], 404, "AddonNotFound"),
                                ("name-nul", [{"name": "coredns\u0000", "version": "v1"}], 404, "AddonNotFound"),
                                ("name-number", [{"name": 1, "version": "v1"}], 400, BAD),
                                ("config-not-json", [{"name": "gatekeeper", "version": "", "config": "{"}], 400, BAD),
                                ("empty-array", [], 400, BAD)],
       "UpgradeClusterAddons": [("unknown-name", [{"component_name": "no-such-addon", "next_version": "v1"}], 404, "AddonNotFound"),
                                ("policy-unknown", [{"component_name": "metrics-server", "next_version": "v0.3.9.5-aliyun", "policy": "yolo"}], 400, BAD),
                                ("version-type", [{"component_name": "metrics-server", "next_version": 5}], 400, BAD),
                                ("name-dotdot", [{"component_name": "../x", "next_version": "v1"}], 404, "AddonNotFound"),
                                ("empty-array", [], 400, BAD)],
       "UnInstallClusterAddons": [("unknown-name", [{"name": "no-such-addon"}], 404, "AddonNotFound"),
                                  ("not-installed", [{"name": "gatekeeper"}], 404, "AddonNotFound"),
                                  ("name-shell", [{"name": "$(reboot)"}], 404, "AddonNotFound"),
                                  ("cleanup-string", [{"name": "metrics-server", "cleanup_cloud_resources": "yes"}], 400, BAD),
                                  ("empty-array", [], 400, BAD)],
       "ModifyClusterAddon": [("config-not-json", {"config": "{oops"}, 400, BAD), ("config-unknown-key", {"config": "{\"zzz\":1}"}, 400, BAD),
                              ("config-wrong-type", {"config": 5}, 400, BAD), ("config-sql", {"config": "'; DROP TABLE tasks; --"}, 400, BAD),
                              ("body-array", [{"config": "{}"}], 400, BAD)],
       "ModifyClusterTags": [("key-empty", [{"key": ""}], 400, BAD), ("key-long", [{"key": "k" * 129}], 400, BAD),
                             ("value-long", [{"key": "k", "value": "v" * 129}], 400, BAD), ("key-nul", [{"key": "a\u0000"}], 400, BAD),
                             ("value-control", [{"key": "k", "value": "a\u0007"}], 400, BAD), ("key-twice", [{"key": "a"}, {"key": "a"}], 400, BAD),
                             ("too-many", [{"key": f"t{i}", "value": "v"} for i in range(21)], 400, BAD),
                             ("key-number", [{"key": 7}], 400, BAD), ("body-object", {"key": "k"}, 400, BAD)],
       "CreateWebhook": [("url-missing", {}, 400, BAD), ("url-not-http", {"url": "file:///etc/passwd"}, 400, BAD),
                         ("url-javascript", {"url": "javascript:alert(1)"}, 400, BAD), ("url-number", {"url": 5}, 400, BAD),
                         ("url-nul", {"url": "http://a\u0000b/"}, 400, BAD), ("events-not-array", {"url": "http://127.0.0.1:9/", "events": "*"}, 400, BAD),
                         ("events-unknown", {"url": "http://127.0.0.1:9/", "events": ["no.such.event"]}, 400, BAD),
                         ("body-array", [{"url": "http://127.0.0.1:9/"}], 400, BAD)],
       "CreateAddonRollout": [("addon-unknown", {"addon": "no-such-addon", "version": "v1"}, 404, "AddonNotFound"),
                              ("version-unknown", {"addon": "metrics-server", "version": "v9.9.9"}, 404, "AddonNotFound"),
                              ("addon-missing", {"version": "v1"}, 400, BAD), ("addon-sql", {"addon": "' OR 1=1", "version": "v1"}, 404, "AddonNotFound"),
                              ("selector-type", {"addon": "metrics-server", "version": "v0.3.9.5-aliyun", "selector": "all"}, 400, BAD),
                              ("strategy-type", {"addon": "metrics-server", "version": "v0.3.9.5-aliyun", "strategy": [1]}, 400, BAD),
                              ("config-not-json", {"addon": "metrics-server", "version": "v0.3.9.5-aliyun", "config": "{"}, 400, BAD),
                              ("body-array", [], 400, BAD)],
       "InjectFault": [("cluster-missing", {"operation": "install", "stage": "x", "error_code": "E"}, 400, BAD),
                       ("cluster-dotdot", {"cluster_id": "../x", "operation": "install", "error_code": "E"}, 400, BAD),
                       ("operation-unknown", {"cluster_id": "{C}", "operation": "rm -rf", "error_code": "E"}, 400, BAD),
                       ("stage-unknown", {"cluster_id": "{C}", "operation": "install", "stage": "nope", "error_code": "E"}, 400, BAD),
                       ("error-code-missing", {"cluster_id": "{C}", "operation": "install", "stage": "{STAGE}"}, 400, BAD),
                       ("error-code-nul", {"cluster_id": "{C}", "operation": "install", "stage": "{STAGE}", "error_code": "E\u0000"}, 400, BAD),
                       ("message-control", {"cluster_id": "{C}", "operation": "install", "stage": "{STAGE}", "error_code": "E", "message": "\u001b[2J"}, 400, BAD),
                       ("component-nul", {"cluster_id": "{C}", "operation": "install", "stage": "{STAGE}", "error_code": "E", "component": "a\u0000"}, 400, BAD),
                       ("body-array", [], 400, BAD)]}
for action, items in OPS.items():
    for label, body, status, code in items:
        case(f"{action}/{label}", action, status, code, body=body)
    for label, b in MALFORMED:
        if action in ("ModifyClusterAddon", "CreateWebhook", "CreateAddonRollout", "InjectFault") and label == "json-object-not-array":
            continue  # these take an object
        case(f"{action}/{label}", action, 400, BAD, body_b64=raw(b))

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

if __name__ == "__main__":
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "case names are unique"
    covered = {c["action"] for c in cases}
    assert covered == set(ROUTE), f"routes without a case: {set(ROUTE) - covered}"
    out = pathlib.Path(__file__).with_name("bad_inputs.jsonl")
    out.write_text("".join(json.dumps(c, ensure_ascii=False, sort_keys=True) + "\n" for c in cases))
    print(f"{len(cases)} cases -> {out}")
