"""Cases of the bodies: CreateCluster's fields, the add-on operations, tags, webhooks,
rollouts and faults."""
from corpus import BAD, MS_OLD, case, raw

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
                                ("version-unknown", [{"name": "gatekeeper", "version": "v0.0.0.1-nope"}], 404, "AddonNotFound"),
                                ("version-sql", [{"name": "gatekeeper", "version": "1' OR '1'='1"}], 404, "AddonNotFound"),
                                ("name-sql", [{"name": "a'; DELETE FROM clusters; --", "version": "v1"}], 404, "AddonNotFound"),
                                ("name-nul", [{"name": "coredns\u0000", "version": "v1"}], 404, "AddonNotFound"),
                                ("name-number", [{"name": 1, "version": "v1"}], 400, BAD),
                                ("config-not-json", [{"name": "gatekeeper", "version": "", "config": "{"}], 400, BAD),
                                ("empty-array", [], 400, BAD)],
       "UpgradeClusterAddons": [("unknown-name", [{"component_name": "no-such-addon", "next_version": "v1"}], 404, "AddonNotFound"),
                                ("version-unknown", [{"component_name": "metrics-server", "next_version": "v9.9.9.9-aliyun"}], 404, "AddonNotFound"),
                                ("version-dotdot", [{"component_name": "metrics-server", "next_version": "../../v1"}], 404, "AddonNotFound"),
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
