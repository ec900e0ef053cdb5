"""Superset at /analytics/ behind a real nginx, configured exactly as docs/docker.md says.

A Superset of its own, initialised and served by superset/bin/ with SUPERSET_APP_ROOT=
/analytics and SUPERSET_COOKIE_SECURE=true (SUPERSET_PROXY_FIX left to its default), over
the dashboard tests' analytics database. In front of it, Debian's nginx as the platform's
front web server: TLS on a free loopback port (a self-signed certificate made here) and the
`location` block of docs/docker.md, read from the page, so that it sends
`X-Forwarded-Proto: https` as the HTTPS gateway does. nginx runs in the foreground as a
child of the test, with its configuration, logs and pid file in a temporary folder.

Checked as an admin would: the login page and its scripts and style sheets load under
/analytics/; redirects stay under /analytics/ and use the https URL the proxy announced;
logging in through the proxy works and sets a secure cookie for /analytics; the API
answers under /analytics/api/v1/; the overview dashboard draws its charts in Debian's
Chromium, every request of the page staying under /analytics/.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from tests.superset.conftest import (
    RunningSuperset,
    SupersetClient,
    _free_port,
    _superset_env,
    serve_superset,
)
from tests.support.stack import REPO

playwright = pytest.importorskip("playwright.sync_api")

# Exactly what test_browser.py uses: Debian's chromium, its flags, what a drawn chart holds.
from tests.superset.test_browser import (  # noqa: E402
    DRAWN,
    ERROR,
    _log_in,
    chromium_page,
    wait_for_charts,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    # The proxy does not depend on the database's edition: the Docker image's one.
    pytest.mark.parametrize("db_server", ["timescale"], indirect=True),
]

NGINX = "/usr/sbin/nginx"
DOCKER_DOC = REPO / "docs" / "docker.md"
PREFIX = "/analytics"
UPSTREAM = "http://superset:8088"  # what the documented block proxies to
# Superset's static pwa-manifest.json names its icons without the prefix (Superset 6.1.0):
# the browser asks for them at the root, where nothing answers. Only an installed-app icon.
OUTSIDE_PREFIX_ALLOWED = "/static/assets/images/pwa/"


def documented_location_block() -> str:
    """The one ```nginx block of docs/docker.md."""
    blocks = re.findall(r"^```nginx\n(.*?)^```$", DOCKER_DOC.read_text(), re.M | re.S)
    assert len(blocks) == 1, f"docs/docker.md: expected one ```nginx block, found {len(blocks)}"
    block = blocks[0]
    assert block.startswith(f"location {PREFIX}/ {{"), block
    assert f"proxy_pass {UPSTREAM};" in block, f"the block no longer proxies to {UPSTREAM}"
    return block


@dataclasses.dataclass(frozen=True)
class Proxy:
    origin: str  # https://127.0.0.1:<port>, what the users see
    cert: Path  # the self-signed certificate, to verify TLS with
    superset: RunningSuperset  # its url is the proxied one: <origin>/analytics
    logs: Path

    def url(self, path: str) -> str:
        return self.origin + path

    def session(self) -> requests.Session:
        session = requests.Session()
        # REQUESTS_CA_BUNDLE and the like would replace the certificate given here.
        session.trust_env = False
        session.verify = str(self.cert)
        return session

    def log_tail(self) -> str:
        return "".join(
            f"\n--- {p.name}:\n" + "\n".join(p.read_text(errors="replace").splitlines()[-20:])
            for p in (self.logs / "nginx.out", self.logs / "access.log", self.logs / "error.log")
            if p.exists()
        )


@pytest.fixture(scope="module")
def superset_at_prefix(dashboard_db, tmp_path_factory) -> Iterator[RunningSuperset]:
    """Superset initialised and served by superset/bin/ under /analytics, on the loopback."""
    env = {
        **_superset_env(dashboard_db),
        "SUPERSET_APP_ROOT": PREFIX,
        "SUPERSET_COOKIE_SECURE": "true",
    }
    env.pop("SUPERSET_PROXY_FIX", None)  # its default is what is tested
    with serve_superset(env, dashboard_db, tmp_path_factory) as running:
        yield running


@pytest.fixture(scope="module")
def proxy(superset_at_prefix: RunningSuperset, tmp_path_factory) -> Iterator[Proxy]:
    """Debian's nginx in front of that Superset: TLS and the documented location block."""
    if not os.access(NGINX, os.X_OK):
        pytest.fail(f"{NGINX} is missing: apt-get install nginx (./stack test installs it)")
    if not shutil.which("openssl"):
        pytest.fail("openssl is missing: apt-get install openssl (./stack test installs it)")
    folder = tmp_path_factory.mktemp("nginx")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    upstream = "http://" + superset_at_prefix.env["SUPERSET_BIND"]
    location = documented_location_block().replace(UPSTREAM, upstream)
    temp = "\n".join(
        f"    {kind}_temp_path {folder}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, workers would run as nobody, who cannot enter pytest's private folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"""{user}worker_processes 1;
error_log {folder}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/access.log;
{temp}
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name 127.0.0.1;
        ssl_certificate {cert};
        ssl_certificate_key {key};
{location}
    }}
}}
"""
    )
    output = (folder / "nginx.out").open("w")
    server = subprocess.Popen(
        [
            *(NGINX, "-p", folder, "-e", folder / "error.log", "-c", folder / "nginx.conf"),
            *("-g", f"daemon off; pid {folder}/nginx.pid;"),
        ],
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    origin = f"https://127.0.0.1:{port}"
    proxied = dataclasses.replace(superset_at_prefix, url=f"{origin}{PREFIX}")
    running = Proxy(origin, cert, proxied, folder)
    try:
        _wait_for_proxy(running, server)
        yield running
    finally:
        server.send_signal(signal.SIGQUIT)  # graceful shutdown, workers included
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=20)
        output.close()


def _wait_for_proxy(proxy: Proxy, server: subprocess.Popen[bytes]) -> None:
    session = proxy.session()
    for _ in range(60):
        if server.poll() is not None:
            pytest.fail(f"nginx exited {server.returncode}{proxy.log_tail()}")
        try:
            if session.get(proxy.url(f"{PREFIX}/health"), timeout=5).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    pytest.fail(f"Superset did not answer through nginx at {proxy.origin}{proxy.log_tail()}")


def _under_prefix(proxy: Proxy, location: str, base: str) -> str:
    """The redirect's absolute URL, asserted to be the proxy's https URL under /analytics/."""
    target = urljoin(base, location)
    assert target.startswith(f"{proxy.origin}{PREFIX}/"), f"redirect leaves /analytics/: {location}"
    return target


def test_login_page_and_its_assets_load_under_the_prefix(proxy: Proxy) -> None:
    session = proxy.session()
    page = session.get(proxy.url(f"{PREFIX}/login/"), timeout=30)
    assert page.status_code == 200, proxy.log_tail()
    links = set(re.findall(r'(?:src|href)="(/[^"]*)"', page.text))
    outside = {link for link in links if not link.startswith(f"{PREFIX}/")}
    assert not outside, f"the login page links outside {PREFIX}/: {sorted(outside)}"
    assets = {link for link in links if re.search(r"\.(js|css)(\?|$)", link)}
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    failed = {}
    for asset in sorted(assets):
        answer = session.get(proxy.url(asset), timeout=30)
        if answer.status_code != 200 or not answer.content:
            failed[asset] = answer.status_code
    assert not failed, f"assets not served through the proxy: {failed}{proxy.log_tail()}"
    # The frontend takes its prefixes from the bootstrap data.
    assert "application_root&#34;: &#34;/analytics&#34;" in page.text
    assert "static_assets_prefix&#34;: &#34;/analytics&#34;" in page.text


def test_redirects_stay_under_the_prefix_and_use_https(proxy: Proxy) -> None:
    session = proxy.session()
    # Trailing slashes, added by nginx (/analytics) and by Superset (/analytics/login) in
    # absolute URLs: Superset's from X-Forwarded-Proto, -Host and -Port (without the proxy
    # fix, the port is lost; in Docker the scheme too).
    answer = session.get(proxy.url(PREFIX), allow_redirects=False, timeout=30)
    assert answer.status_code == 301
    assert answer.headers["Location"] == proxy.url(f"{PREFIX}/")
    answer = session.get(proxy.url(f"{PREFIX}/login"), allow_redirects=False, timeout=30)
    assert answer.status_code == 308
    assert answer.headers["Location"] == proxy.url(f"{PREFIX}/login/")
    # The root of the application and a page that needs a login.
    answer = session.get(proxy.url(f"{PREFIX}/"), allow_redirects=False, timeout=30)
    assert answer.status_code == 302
    _under_prefix(proxy, answer.headers["Location"], answer.url)
    dashboard = proxy.url(f"{PREFIX}/superset/dashboard/overview/")
    answer = session.get(dashboard, allow_redirects=False, timeout=30)
    assert answer.status_code == 302
    login = _under_prefix(proxy, answer.headers["Location"], answer.url)
    assert urlsplit(login).path == f"{PREFIX}/login/"
    assert parse_qs(urlsplit(login).query)["next"] == [dashboard]  # https, the proxy's host


def test_logging_in_through_the_proxy(proxy: Proxy) -> None:
    session = proxy.session()
    env = proxy.superset.env
    login = proxy.url(f"{PREFIX}/login/")
    page = session.get(login, timeout=30)
    token = re.search(r'name="csrf_token"\s+id="csrf_token"\s+value="([^"]+)"', page.text)
    assert token, "no CSRF token in the login form"
    form = {
        "username": env["SUPERSET_ADMIN_USER"],
        "password": env["SUPERSET_ADMIN_PASSWORD"],
        "csrf_token": token.group(1),
    }
    # Over https Superset checks that the Referer is its own origin, as a browser sends it:
    # the host and port it compares with come from X-Forwarded-Host and -Port.
    answer = session.post(
        login, data=form, headers={"Referer": login}, allow_redirects=False, timeout=30
    )
    assert answer.status_code == 302, answer.text[:500]
    target = _under_prefix(proxy, answer.headers["Location"], login)
    assert urlsplit(target).path != f"{PREFIX}/login/", "the login was refused"
    cookie = next(c for c in session.cookies if c.name == "session")
    assert cookie.secure and cookie.path == PREFIX, (cookie.secure, cookie.path)
    assert "HttpOnly" in answer.headers["Set-Cookie"]
    welcome = session.get(target, timeout=30)
    assert welcome.status_code == 200 and urlsplit(welcome.url).path.startswith(PREFIX)
    assert "/login/" not in welcome.url
    me = session.get(proxy.url(f"{PREFIX}/api/v1/me/"), timeout=30)
    assert me.status_code == 200 and me.json()["result"]["username"] == env["SUPERSET_ADMIN_USER"]
    answer = session.get(proxy.url(f"{PREFIX}/logout/"), allow_redirects=False, timeout=30)
    assert answer.status_code == 302
    _under_prefix(proxy, answer.headers["Location"], answer.url)


def test_the_api_answers_under_the_prefix(proxy: Proxy) -> None:
    session = proxy.session()
    assert session.get(proxy.url(f"{PREFIX}/health"), timeout=30).text == "OK"
    # The provisioning's client, through the proxy: JWT login, CSRF token, then reads.
    api = SupersetClient(proxy.superset.url)
    api.session.trust_env = False
    api.session.verify = str(proxy.cert)
    env = proxy.superset.env
    api.login(env["SUPERSET_ADMIN_USER"], env["SUPERSET_ADMIN_PASSWORD"])
    assert api.dashboard("overview")["dashboard_title"] == "Overview"
    charts = api.dashboard_charts("overview")
    assert len(charts) >= 4
    ids = api.chart_ids()
    assert ids, "no chart listed by /analytics/api/v1/chart/"
    rows = api.chart_data(next(iter(ids.values())))
    assert isinstance(rows, list)
    # All of it went through nginx.
    assert api.url.startswith(proxy.origin)
    assert f'"POST {PREFIX}/api/v1/security/login ' in (proxy.logs / "access.log").read_text()


@pytest.fixture(scope="module")
def browser_page(proxy: Proxy) -> Iterator[tuple[object, list[tuple[int, str, str]]]]:
    """A logged-in Chromium page, and every response it got (status, method, URL)."""
    responses: list[tuple[int, str, str]] = []
    # ignore_https_errors: the certificate is the one made for this test.
    with chromium_page(ignore_https_errors=True) as page:
        page.on("response", lambda r: responses.append((r.status, r.request.method, r.url)))
        _log_in(page, proxy.superset)
        yield page, responses


def test_a_dashboard_draws_its_charts_through_the_proxy(proxy: Proxy, browser_page) -> None:
    page, responses = browser_page
    # Logged in through /analytics/login/, the browser is on Superset's welcome page.
    assert page.url.startswith(f"{proxy.origin}{PREFIX}/"), page.url
    page.goto(proxy.url(f"{PREFIX}/superset/dashboard/overview/?standalone=1"))
    assert "/login" not in page.url, "the session did not hold through the proxy"
    holders, count = wait_for_charts(page)
    assert count >= 4, f"only {count} charts"
    assert page.locator(ERROR).count() == 0, "a chart shows an error"
    drawn = [holders.nth(i).locator(DRAWN).count() > 0 for i in range(count)]
    assert all(drawn), f"charts not drawn: {[i for i, d in enumerate(drawn) if not d]}"

    ours = [(s, m, urlsplit(u).path) for s, m, u in responses if u.startswith(proxy.origin)]
    outside = {p for _, _, p in ours if not p.startswith(f"{PREFIX}/")}
    outside = {p for p in outside if not p.startswith(OUTSIDE_PREFIX_ALLOWED)}
    assert not outside, f"the pages asked for paths outside {PREFIX}/: {sorted(outside)}"
    failed = sorted({(s, m, p) for s, m, p in ours if s >= 400 and p.startswith(PREFIX)})
    assert not failed, f"requests that failed under {PREFIX}/: {failed}"
    data = [s for s, m, p in ours if m == "POST" and p == f"{PREFIX}/api/v1/chart/data"]
    assert len(data) >= count and set(data) == {200}, data
