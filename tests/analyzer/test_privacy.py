"""Privacy modes for client addresses and user names."""

from __future__ import annotations

import pytest

from analyzer.errors import ConfigError
from analyzer.privacy import KEY_VARIABLE, Privacy, key_from_env

KEY = b"a-site-secret-from-the-environment"


@pytest.mark.parametrize(
    ("address", "anonymized"),
    [
        ("192.168.1.70", "192.168.1.0"),
        ("5.172.196.188", "5.172.196.0"),
        ("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::"),
        ("[2a01:cb19:8a4:2c00::1]", "2a01:cb19:8a4::"),
        ("::ffff:172.22.0.1", "172.22.0.0"),
    ],
)
def test_anonymize_zeroes_ipv4_last_octet_and_keeps_ipv6_slash_48(address, anonymized):
    assert Privacy().ip(address) == anonymized


@pytest.mark.parametrize("value", ["unix:/var/run/mapserv-1.sock", "proxy.example.org", "-", None])
def test_anonymize_drops_what_is_not_an_address(value):
    assert Privacy("anonymize").ip(value) is None


def test_keep_and_drop_addresses():
    assert Privacy("keep").ip("192.168.1.70") == "192.168.1.70"
    assert Privacy("drop").ip("192.168.1.70") is None


def test_user_names_are_kept_by_default_with_dots_and_accents():
    privacy = Privacy()
    assert privacy.user("m.lagadec") == "m.lagadec"
    assert privacy.user("hélène.dupré") == "hélène.dupré"
    assert privacy.user(None) is None


def test_pseudonym_is_stable_prefixed_and_hides_the_name():
    pseudonym = Privacy(user_mode="pseudonymize", key=KEY).user("m.lagadec")
    assert pseudonym == Privacy(user_mode="pseudonymize", key=KEY).user("m.lagadec")
    assert pseudonym.startswith("u_")
    assert len(pseudonym) == 2 + 16
    assert "lagadec" not in pseudonym
    assert Privacy(user_mode="pseudonymize", key=KEY).user("testadmin") != pseudonym


def test_pseudonym_depends_on_the_key():
    first = Privacy(user_mode="pseudonymize", key=KEY).user("m.lagadec")
    other = Privacy(user_mode="pseudonymize", key=b"another-key").user("m.lagadec")
    assert first != other


def test_pseudonymize_keeps_anonymous_requests_anonymous():
    assert Privacy(user_mode="pseudonymize", key=KEY).user(None) is None


def test_drop_user_names():
    assert Privacy(user_mode="drop").user("m.lagadec") is None


def test_pseudonymize_without_key_is_a_config_error_naming_the_variable():
    with pytest.raises(ConfigError, match=KEY_VARIABLE):
        Privacy(user_mode="pseudonymize", key=None)


def test_unknown_modes_are_config_errors():
    with pytest.raises(ConfigError, match="ip_mode 'hash'"):
        Privacy(ip_mode="hash")
    with pytest.raises(ConfigError, match="user_mode 'hide'"):
        Privacy(user_mode="hide")


def test_key_comes_from_the_environment():
    assert key_from_env({KEY_VARIABLE: "s3cret"}) == b"s3cret"
    assert key_from_env({KEY_VARIABLE: ""}) is None
    assert key_from_env({}) is None
