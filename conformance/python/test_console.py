"""The web console (`/console/`) in a real headless Chromium (Debian's chromium, driven through
its chromedriver by selenium), against the real binary: login, a cluster the official SDK made,
an upgrade watched to Success without a reload, a rollout previewed, started and paused, and the
refusals (a wrong key, a form without its CSRF token). Screenshots go to .cache/screenshots/,
which is not committed."""
import http.cookiejar
import json
import os
import pathlib
import shutil
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import AK, ROOT, SECRET, Server, fresh_db, new_cluster, tea_client
from fleet import COREDNS_MID, COREDNS_OLD, KEYS, cluster, fleet_call, import_fleet, tasks_of

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
SHOTS = ROOT / ".cache" / "screenshots"
FLEET = 12

if not (CHROMIUM and DRIVER):
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI=true but chromium and chromedriver are not installed (.ci/run installs them)")
    pytest.skip("chromium and chromedriver are not installed", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A server with stages slow enough to watch (0.4 s) on a fleet of FLEET imported clusters
    tagged env:prod, plus one cluster the official SDK creates."""
    tmp = tmp_path_factory.mktemp("console")
    db = fresh_db(tmp, "console")
    import_fleet(tmp, db, [cluster(f"cw{i:03d}", {"coredns": COREDNS_OLD}, tags={"env": "prod"}) for i in range(FLEET)])
    s = Server(db, KEYS + ["--stage-duration", "400ms"]).start()
    client = tea_client(s)
    made = new_cluster(client, name="from-the-sdk", addons=[{"name": "coredns", "version": COREDNS_OLD}])
    yield s, client, made.cluster_id
    s.stop()


@pytest.fixture(scope="module")
def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        opts.add_argument(arg)
    d = webdriver.Chrome(service=Service(DRIVER), options=opts)
    d.implicitly_wait(0)
    yield d
    d.quit()


def url(site, path):
    return f"http://{site[0].endpoint}{path}"


def shot(driver, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def wait(driver, cond, timeout=30):
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(cond)


def data_state(driver, element_id):
    """The element's data-state, read in one step: the live region may be swapped at any time."""
    return driver.execute_script(
        "const e = document.getElementById(arguments[0]); return e && e.getAttribute('data-state')", element_id)


def press(driver, label):
    """Clicks the button with this text, found and clicked in one step: a live region may be
    swapped between a lookup and a click."""
    assert driver.execute_script(
        "const b = [...document.querySelectorAll('button')].find(b => b.textContent === arguments[0]);"
        "if (b) { b.click(); return true; } return false;", label), f"no button {label!r}"


def log_in(driver, site, ak=AK, secret=SECRET):
    driver.get(url(site, "/console/login"))
    driver.find_element(By.ID, "access_key_id").send_keys(ak)
    field = driver.find_element(By.ID, "access_key_secret")
    field.send_keys(secret)
    field.send_keys(Keys.ENTER)  # the keyboard, not a click


def every_control_is_labelled(driver):
    unlabelled = driver.execute_script(
        "return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
        ".filter(e => !e.labels || e.labels.length === 0).map(e => e.name || e.id)")
    assert unlabelled == [], f"{driver.current_url}: controls without a label: {unlabelled}"


def test_a_wrong_key_gets_the_form_again_and_no_session(site, browser):
    log_in(browser, site, secret="not-the-secret")
    err = wait(browser, lambda d: d.find_element(By.ID, "login-error"))
    assert "do not match" in err.text
    assert browser.current_url.endswith("/console/login")
    assert browser.get_cookie("ack_console_session") is None
    every_control_is_labelled(browser)
    # Without a session every page sends the login form.
    browser.get(url(site, "/console/clusters"))
    assert browser.current_url.endswith("/console/login")


def test_login_shows_the_fleet_and_the_sdk_made_cluster(site, browser):
    log_in(browser, site)
    wait(browser, lambda d: d.current_url.endswith("/console/"))
    cookie = browser.get_cookie("ack_console_session")
    assert cookie and cookie["httpOnly"] and cookie.get("sameSite") == "Strict" and cookie.get("expiry")
    section = browser.find_element(By.ID, "addon-coredns").find_element(By.XPATH, "..")
    # Installed on every imported cluster and the SDK's one; all of them can upgrade.
    assert f"Installed\n{FLEET + 1}" in section.text
    assert browser.find_element(By.CSS_SELECTOR, "[data-upgradable=coredns]").text == str(FLEET + 1)
    meter = section.find_element(By.TAG_NAME, "meter")
    assert meter.get_attribute("value") == str(FLEET + 1)
    assert f"{FLEET + 1} of {FLEET + 1} clusters" in meter.get_attribute("aria-label")
    shot(browser, "fleet")

    # The clusters page finds the SDK's cluster by a part of its name, and by its id.
    cid = site[2]
    for term in ("THE-sdk", cid):
        browser.get(url(site, "/console/clusters?" + urllib.parse.urlencode({"search": term})))
        rows = browser.find_elements(By.CSS_SELECTOR, "main tbody tr")
        assert len(rows) == 1 and cid in rows[0].text and "from-the-sdk" in rows[0].text
    # A tag and an add-on version filter: the imported fleet only.
    browser.get(url(site, "/console/clusters?tag=env:prod&addon=coredns&version=" + COREDNS_OLD))
    assert browser.find_element(By.ID, "count").text.startswith(f"{FLEET} clusters match")
    every_control_is_labelled(browser)


def test_an_upgrade_is_watched_to_success_without_a_reload(site, browser):
    cid = site[2]
    browser.get(url(site, f"/console/clusters/{cid}"))
    every_control_is_labelled(browser)
    row = browser.find_element(By.CSS_SELECTOR, "tr[data-addon=coredns]")
    target = Select(row.find_element(By.TAG_NAME, "select")).first_selected_option.get_attribute("value")
    row.find_element(By.XPATH, ".//button[text()='Upgrade']").click()
    wait(browser, lambda d: "/console/tasks/T-" in d.current_url)
    # A mark in this document: a reload would drop it.
    browser.execute_script("window.__same_page = true")
    wait(browser, lambda d: data_state(d, "task-state") == "success")
    assert browser.execute_script("return window.__same_page === true"), "the page was reloaded"
    assert browser.find_element(By.ID, "live").get_attribute("data-refreshed"), "not refreshed from the stream"
    stages = browser.find_elements(By.CSS_SELECTOR, "#live table:first-of-type tbody tr")
    assert len(stages) >= 3 and all("success" in r.text for r in stages)
    shot(browser, "task")
    # The API agrees, and the cluster page shows the new version.
    body = site[1].describe_cluster_addons_version(cid).body
    assert body["coredns"]["version"] == target
    browser.get(url(site, f"/console/clusters/{cid}"))
    assert browser.find_element(By.CSS_SELECTOR, "tr[data-addon=coredns] td.version").text == target


def test_config_is_changed_through_a_form_drawn_from_the_schema(site, browser):
    cid = site[2]
    browser.get(url(site, f"/console/clusters/{cid}"))
    browser.find_element(By.CSS_SELECTOR, "tr[data-addon=coredns]").find_element(By.LINK_TEXT, "Config").click()
    every_control_is_labelled(browser)
    replicas = browser.find_element(By.ID, "f-replicas")
    assert replicas.get_attribute("type") == "number" and replicas.get_attribute("value") == "2"
    box = browser.find_element(By.ID, "f-NodeLocalDNS")
    assert box.get_attribute("type") == "checkbox" and not box.is_selected()
    replicas.clear()
    replicas.send_keys("3")
    box.send_keys(Keys.SPACE)  # ticked from the keyboard
    browser.find_element(By.XPATH, "//button[text()='Apply config']").click()
    wait(browser, lambda d: "/console/tasks/T-" in d.current_url)
    wait(browser, lambda d: data_state(d, "task-state") == "success")
    inst = site[1].describe_cluster_addon_instance(cid, "coredns").body
    assert json.loads(inst.config) == {"replicas": 3, "NodeLocalDNS": True}


def test_a_rollout_is_previewed_started_and_paused(site, browser):
    browser.get(url(site, "/console/rollouts"))
    every_control_is_labelled(browser)
    Select(browser.find_element(By.ID, "addon")).select_by_value("coredns")
    browser.find_element(By.ID, "version").send_keys(COREDNS_MID)
    browser.find_element(By.ID, "tags").send_keys("env:prod")
    browser.find_element(By.ID, "wave_size").send_keys("2")
    browser.find_element(By.ID, "soak").send_keys("1s")
    browser.find_element(By.XPATH, "//button[text()='Preview']").click()
    summary = wait(browser, lambda d: d.find_element(By.ID, "plan-summary"))
    assert f"matches {FLEET} clusters" in summary.text and f"{FLEET} would be upgraded in {FLEET // 2} waves" in summary.text
    waves = browser.find_elements(By.CSS_SELECTOR, "#plan-waves li")
    assert [w.text for w in waves] == ["2 clusters"] * (FLEET // 2)
    # The preview created nothing.
    listed = fleet_call(site[1], "ListAddonRollouts", "GET", "/fleet/rollouts")
    assert listed["page_info"]["total_count"] == 0
    preview_url = browser.current_url
    browser.get(preview_url)  # a stable URL: the same preview again
    assert f"matches {FLEET} clusters" in browser.find_element(By.ID, "plan-summary").text

    browser.find_element(By.XPATH, "//button[text()='Start this rollout']").click()
    wait(browser, lambda d: "/console/rollouts/R-" in d.current_url)
    rid = browser.current_url.rsplit("/", 1)[1]
    wait(browser, lambda d: data_state(d, "rollout-state") == "running")
    press(browser, "Pause rollout")
    wait(browser, lambda d: data_state(d, "rollout-state") == "paused")
    r = fleet_call(site[1], "DescribeAddonRollout", "GET", f"/fleet/rollouts/{rid}")
    assert r["state"] == "paused" and r["counts"]["total"] == FLEET
    rows = browser.find_elements(By.CSS_SELECTOR, "#live table:first-of-type tbody tr")
    assert len(rows) == FLEET // 2
    shot(browser, "rollout")
    every_control_is_labelled(browser)
    fleet_call(site[1], "CancelAddonRollout", "POST", f"/fleet/rollouts/{rid}/cancel")


class Plain:
    """A client without a browser, for what a browser would never send."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def send(self, u, form=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(u, data=data, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_forms_without_their_csrf_token_are_refused(site, browser):
    # The login form's token must pair with its cookie.
    p = Plain()
    status, _ = p.send(url(site, "/console/login"), {"access_key_id": AK, "access_key_secret": SECRET, "csrf": "x"})
    assert status == 403
    status, page = p.send(url(site, "/console/login"))
    assert status == 200
    token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    status, _ = p.send(url(site, "/console/login"), {"access_key_id": AK, "access_key_secret": SECRET, "csrf": token})
    assert status == 303 and any(c.name == "ack_console_session" for c in p.jar)

    # Logged in, a change without the session's token (or with another) does nothing.
    cid = site[2]
    before = [(t.task_id, t.state) for t in tasks_of(site[1], cid)]
    for form in ({"addon": "coredns", "version": COREDNS_OLD}, {"addon": "coredns", "version": COREDNS_OLD, "csrf": token}):
        status, page = p.send(url(site, f"/console/clusters/{cid}/upgrade"), form)
        assert status == 403 and "CSRF" in page
    status, _ = p.send(url(site, "/console/logout"), {})
    assert status == 403
    after = [(t.task_id, t.state) for t in tasks_of(site[1], cid)]
    assert after == before
    # The logout form with the token ends the session everywhere.
    status, page = p.send(url(site, "/console/"))
    assert status == 200
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    status, _ = p.send(url(site, "/console/logout"), {"csrf": csrf})
    assert status == 303
    status, _ = p.send(url(site, "/console/"))
    assert status == 303


def test_the_api_refusal_is_shown_on_the_page(site, browser):
    log_in(browser, site)
    wait(browser, lambda d: d.current_url.endswith("/console/"))
    browser.get(url(site, "/console/clusters/cdoesnotexist0000000000000000000"))
    alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]")
    assert "ErrorClusterNotFound" in alert.text


def test_with_auth_off_there_is_no_login(tmp_path):
    s = Server(fresh_db(tmp_path, "open"), ["--auth", "off"]).start()
    try:
        p = Plain()
        status, page = p.send(f"http://{s.endpoint}/console/")
        assert status == 200 and "<h1>Fleet</h1>" in page and "Log out" not in page
        status, _ = p.send(f"http://{s.endpoint}/console/login")
        assert status == 303
    finally:
        s.stop()
