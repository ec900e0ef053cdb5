"""The playbook and roles pass ansible-lint (production profile, offline) and yamllint."""

from __future__ import annotations

from tests.ansible.harness import converge


def test_ansible_lint_passes_with_the_production_profile() -> None:
    result = converge("tool", "ansible-lint", "--profile", "production", "--offline", check=False)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]


def test_yamllint_passes() -> None:
    result = converge("tool", "yamllint", "--strict", ".", check=False)
    assert result.returncode == 0, result.stdout[-6000:]
