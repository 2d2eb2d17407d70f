"""Secrets at rest and in logs: the SQLite database (which holds the access keys' secrets) is
readable by the server's user only, from its first byte and after a start on a file others
could read; `--auth off` makes up no key. (conftest checks, at the end of the whole run, that
no server log shows any secret the tests used, nor a signature.)"""
import os
import sqlite3
import stat

import pytest

from conftest import AK, PG, SECRET, Server, tea_client

pytestmark = pytest.mark.skipif(bool(PG), reason="file modes are SQLite's; PostgreSQL keeps its own files")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_database_and_its_journal_are_private(tmp_path):
    db = tmp_path / "keys.db"
    s = Server(f"sqlite://{db}", ["--access-key", f"{AK}:{SECRET}"]).start()
    try:
        from alibabacloud_cs20151215 import models
        tea_client(s).describe_addons(models.DescribeAddonsRequest(region="cn-hangzhou"))  # the WAL is written too
        for p in (db, tmp_path / "keys.db-wal"):
            if p.exists():
                assert mode(p) == 0o600, f"{p}: {oct(mode(p))}"
        assert db.exists()
    finally:
        s.stop()


def test_a_database_others_could_read_is_narrowed_at_start(tmp_path):
    db = tmp_path / "open.db"
    db.touch()
    db.chmod(0o644)
    s = Server(f"sqlite://{db}", ["--access-key", f"{AK}:{SECRET}"]).start()
    try:
        assert mode(db) == 0o600
    finally:
        s.stop()


def test_auth_off_makes_up_no_key(tmp_path):
    db = tmp_path / "open-auth.db"
    s = Server(f"sqlite://{db}", ["--auth", "off"]).start()
    s.stop()
    assert "generated access key" not in s.log_tail(200)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        assert c.execute("SELECT COUNT(*) FROM access_keys").fetchone()[0] == 0
    # Without --auth off and without keys, the first start still makes one (and says so once).
    s = Server(f"sqlite://{db}", []).start()
    s.stop()
    assert "generated access key" in s.log_tail(200)
