"""The configuration reference (docs/configuration.en.md) lists exactly the settings the
code, `.env.example` and the Ansible roles' defaults have, with the same defaults."""

from __future__ import annotations

import pytest

from tests.docs import settings_sources as sources

TABLES = sources.reference_tables()
PAGE = "docs/configuration.en.md"


def _expected() -> dict[str, sources.Defaults]:
    expected = dict(sources.analyzer_file())
    expected["analyzer-env"] = sources.analyzer_env()
    expected["compose-env"] = sources.compose_env()
    expected["superset-env"] = sources.superset_env()
    for role in sources.role_names():
        expected[f"role-{role}"] = sources.role_defaults(role)
    return expected


EXPECTED = _expected()


def test_every_source_of_settings_has_a_section_and_no_section_is_stale():
    assert set(TABLES) == set(EXPECTED), (
        f"{PAGE}: sections without a source {sorted(set(TABLES) - set(EXPECTED))}, "
        f"sources without a section {sorted(set(EXPECTED) - set(TABLES))} "
        "(a new role needs a '### <role> {#role-<role>}' table)"
    )


@pytest.mark.parametrize("section", sorted(EXPECTED))
def test_reference_lists_exactly_the_settings_of_the_code(section):
    documented, actual = set(TABLES.get(section, {})), set(EXPECTED[section])
    assert actual - documented == set(), f"{PAGE}#{section}: undocumented settings"
    assert documented - actual == set(), f"{PAGE}#{section}: settings that no longer exist"


@pytest.mark.parametrize("section", sorted(EXPECTED))
def test_reference_shows_the_default_the_code_uses(section):
    wrong = {
        name: (f"`{default}`", TABLES[section][name])
        for name, default in EXPECTED[section].items()
        if default is not None
        and name in TABLES.get(section, {})
        and f"`{default}`" not in TABLES[section][name]
    }
    assert wrong == {}, f"{PAGE}#{section}: (default in the code, shown) differ"


@pytest.mark.parametrize("section", sorted(s for s in EXPECTED if s.startswith("role-")))
def test_role_variables_without_a_default_are_marked_required(section):
    missing = {
        name
        for name in EXPECTED[section]
        if name not in sources.role_values(section.removeprefix("role-"))
        and "required" not in TABLES.get(section, {}).get(name, "required")
    }
    assert missing == set(), f"{PAGE}#{section}: say 'required' for {sorted(missing)}"
