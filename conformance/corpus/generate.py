#!/usr/bin/env python3
"""Writes bad_inputs.jsonl, the bad-input corpus that conformance/python/test_corpus.py sends.

Kept as a generator because most cases are one bad value crossed with many routes; the .jsonl
is committed so that a reviewer sees every case, and `python3 generate.py` must leave it unchanged
(the runner checks). Placeholders the runner fills: {C} a real cluster, {T} its task, {W} a
real webhook. A case: name, method, path, optional query ([[k, v], ...]) or raw_query, body
(JSON, sent compact) or body_b64 (raw bytes), optional auth (how to spoil the signature), and
the expected status and code.
"""
import json
import pathlib

import body_cases  # noqa: F401  (each appends its cases)
import http_cases  # noqa: F401
from corpus import EXPAND, MS_OLD, ROUTE, ROUTES, cases  # noqa: F401  (what the runner reads)

if __name__ == "__main__":
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "case names are unique"
    covered = {c["action"] for c in cases}
    assert covered == set(ROUTE), f"routes without a case: {set(ROUTE) - covered}"
    out = pathlib.Path(__file__).with_name("bad_inputs.jsonl")
    out.write_text("".join(json.dumps(c, ensure_ascii=False, sort_keys=True) + "\n" for c in cases))
    print(f"{len(cases)} cases -> {out}")
