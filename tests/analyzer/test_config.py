"""The configuration file: a full example loads, and each mistake is named precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer import config
from analyzer.errors import ConfigError
from analyzer.settings import LogSource, Probes, Retention

FULL = """\
database_url: postgresql://analyzer@db/analytics
timezone: Europe/Paris
schedule: "30 2 * * *"
state_dir: /var/lib/analyzer
retention: {raw: 13 months, hourly: 3 months, daily: 5 years, monthly: forever}
sites:
  - name: rennes
    timezone: Europe/Paris
    privacy: {ip: anonymize, user: pseudonymize}
    apps: {"/carto": mviewer}
    probes:
      user_agents: ["^Supervision/"]
      addresses: [192.0.2.10, "2001:db8:42::/48"]
      paths: [/health]
    logs:
      - path: /var/log/nginx/access.log
        format: nginx
      - path: /var/log/gateway/access.json
        format: gateway-json
        include_live: true
  - name: brest
    logs:
      - path: /var/log/haproxy.log
        format: '%h %t "%r" %>s %b'
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "analyzer.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_full_configuration_loads_into_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYZER_PSEUDONYM_KEY", "secret")
    settings = config.load(write(tmp_path, FULL))
    rennes, brest = settings.sites
    assert settings.database_url == "postgresql://analyzer@db/analytics"
    assert settings.retention == Retention(
        raw="13 months", hourly="3 months", daily="5 years", monthly=None
    )
    assert (rennes.ip_mode, rennes.user_mode, rennes.app_routes) == (
        "anonymize",
        "pseudonymize",
        {"/carto": "mviewer"},
    )
    assert rennes.logs[1] == LogSource(Path("/var/log/gateway/access.json"), "gateway-json", True)
    assert rennes.probes == Probes(
        ("^Supervision/",), ("192.0.2.10/32", "2001:db8:42::/48"), ("/health",)
    )
    assert (brest.timezone, brest.ip_mode, brest.user_mode) == ("UTC", "anonymize", "keep")
    assert brest.probes == Probes()
    assert brest.logs[0].format == '%h %t "%r" %>s %b'


def test_the_database_url_comes_from_the_environment_when_the_file_has_none(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYZER_DATABASE_URL", "postgresql://env@db/analytics")
    settings = config.load(write(tmp_path, "sites: [{name: a, logs: [{path: /x}]}]\n"))
    assert settings.database_url == "postgresql://env@db/analytics"
    assert settings.sites[0].logs[0].format == "auto"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("privacy: {ip: anonymize", "privacy: {ip: hide"), (
            "sites[0].privacy.ip: 'hide' is not allowed (use anonymize, keep, drop)"
        )),
        (("format: nginx", "format: nginks"), "sites[0].logs[0].format: unknown log format"),
        (("format: nginx", "format: '$remote_addr $status'"), "sites[0].logs[0].format: nginx"),
        (("30 2 * * *", "30 25 * * *"), "schedule: '30 25 * * *' is not a cron expression"),
        (("timezone: Europe/Paris\nsch", "timezone: Europe/Pariss\nsch"), (
            "timezone: unknown time zone 'Europe/Pariss'"
        )),
        (("raw: 13 months", "raw: 13 moons"), "retention.raw: '13 moons' is not an interval"),
        (('"/carto": mviewer', '"/carto": mapviewer'), (
            "sites[0].apps./carto: 'mapviewer' is not allowed (use geoserver"
        )),
        (('"/carto": mviewer', "carto: mviewer"), "sites[0].apps.carto: a path prefix starts"),
        (("- name: brest", "- name: rennes"), "sites[1].name: site name 'rennes' is used twice"),
        (("- name: brest\n    logs:", "- name: brest\n    log:"), (
            "sites[1]: unknown key 'log' (allowed: name, timezone, privacy, apps, catalog, "
            "probes, logs)"
        )),
        (('["^Supervision/"]', '["Supervision("]'), (
            "sites[0].probes.user_agents[0]: 'Supervision(' is not a regular expression"
        )),
        (("192.0.2.10,", "192.0.2.10/24,"), (
            "sites[0].probes.addresses[0]: '192.0.2.10/24' has host bits set (the network is "
            "192.0.2.0/24)"
        )),
        (("192.0.2.10,", "supervision.example.org,"), (
            "sites[0].probes.addresses[0]: 'supervision.example.org' is not an IP address or "
            "network"
        )),
        (("paths: [/health]", "paths: [health]"), (
            "sites[0].probes.paths[0]: 'health': a path prefix starts with '/'"
        )),
        (("paths: [/health]", "paths: ['/geoserver/ows?SERVICE=WMS']"), (
            "sites[0].probes.paths[0]: '/geoserver/ows?SERVICE=WMS': give the path alone"
        )),
        (("paths: [/health]", "path: [/health]"), (
            "sites[0].probes: unknown key 'path' (allowed: user_agents, addresses, paths)"
        )),
        (("paths: [/health]", "paths: /health"), "sites[0].probes.paths: expected a list"),
        (("include_live: true", "include_live: yes please"), (
            "sites[0].logs[1].include_live: expected true or false"
        )),
        (("- path: /var/log/haproxy.log\n", "- paths: /var/log/haproxy.log\n"), (
            "sites[1].logs[0]: unknown key 'paths'"
        )),
    ],
)  # fmt: skip
def test_each_mistake_names_the_file_the_key_and_what_is_allowed(
    tmp_path, monkeypatch, change, message
):
    monkeypatch.setenv("ANALYZER_PSEUDONYM_KEY", "secret")
    old, new = change
    assert old in FULL
    path = write(tmp_path, FULL.replace(old, new, 1))
    with pytest.raises(ConfigError) as error:
        config.load(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_pseudonymizing_without_a_key_in_the_environment_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("ANALYZER_PSEUDONYM_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"rennes pseudonymize.*ANALYZER_PSEUDONYM_KEY"):
        config.load(write(tmp_path, FULL))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sites: [\n", "analyzer.yaml:2: not valid YAML"),
        ("timezone: UTC\n", "(top level): missing required key 'sites'"),
        ("sites: []\n", "sites: at least one site is needed"),
        ("- a\n", "(top level): expected a mapping"),
    ],
)
def test_broken_documents_are_reported_with_where(tmp_path, text, message):
    with pytest.raises(ConfigError) as error:
        config.load(write(tmp_path, text))
    assert message in str(error.value)


def test_a_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        config.load(tmp_path / "absent.yaml")


def test_the_buckets_zone_comes_from_analytics_timezone_when_the_file_has_none(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("ANALYTICS_TIMEZONE", "America/Montreal")
    settings = config.load(write(tmp_path, "sites: [{name: a, logs: [{path: /x}]}]\n"))
    assert settings.timezone == "America/Montreal"
    monkeypatch.delenv("ANALYTICS_TIMEZONE")
    assert config.load(write(tmp_path, "sites: [{name: a, logs: [{path: /x}]}]\n")).timezone == (
        "Europe/Paris"
    )


def test_a_file_zone_that_disagrees_with_analytics_timezone_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYTICS_TIMEZONE", "Europe/Paris")
    path = write(tmp_path, "timezone: UTC\nsites: [{name: a, logs: [{path: /x}]}]\n")
    with pytest.raises(ConfigError, match=r"timezone: 'UTC' differs from ANALYTICS_TIMEZONE"):
        config.load(path)


def test_an_unreadable_file_says_who_reads_it_and_what_its_mode_allows(tmp_path, monkeypatch):
    path = write(tmp_path, FULL)
    path.chmod(0o600)

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    # Root reads any file, and the tests run as root: refuse as the kernel would for uid 10001.
    monkeypatch.setattr(Path, "read_text", refuse)
    with pytest.raises(ConfigError) as raised:
        config.load(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: cannot read: Permission denied; this process runs as uid")
    assert "mode 0600" in message and "`z` option" in message


def test_retention_names_only_the_levels_and_fills_in_their_defaults():
    assert dict(Retention(raw="2 years")) == {
        "raw": "2 years",
        "hourly": "3 months",
        "daily": "5 years",
        "monthly": None,
    }
    with pytest.raises(TypeError, match="no level named weekly"):
        Retention(weekly="1 year")


@pytest.mark.parametrize(
    ("value", "message"),
    [("1.5", "1.5 is not between 0 and 1"), ("half", "'half' is not a number between 0 and 1")],
)
def test_max_reject_share_is_a_share(tmp_path, value, message):
    path = write(
        tmp_path, f"max_reject_share: {value}\nsites: [{{name: a, logs: [{{path: /x}}]}}]\n"
    )
    with pytest.raises(ConfigError, match=f"max_reject_share: {message}"):
        config.load(path)
    assert (
        config.load(write(tmp_path, "sites: [{name: a, logs: [{path: /x}]}]\n")).max_reject_share
        == 0.5
    )
