"""The deployment to the Ansible targets starts as soon as the tests are collected.

It runs in the background while the rest of the suite runs, and its checks come last; see
harness.BackgroundDeployment. ANALYTICS_TARGETS_REUSE=1 checks the targets left running by
an earlier deployment instead (while working on the checks).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.ansible.harness import BackgroundDeployment

DEPLOY_TESTS = Path(__file__).with_name("test_deploy.py")
BACKGROUND = pytest.StashKey[BackgroundDeployment]()


def _checks_the_deployment(item: pytest.Item) -> bool:
    return item.path == DEPLOY_TESTS


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The deployment's checks last, so that it has the whole suite's time to run."""
    items.sort(key=_checks_the_deployment)  # stable: the order is otherwise kept


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly or os.environ.get("ANALYTICS_TARGETS_REUSE"):
        return
    if any(_checks_the_deployment(item) for item in session.items):
        session.config.stash[BACKGROUND] = BackgroundDeployment()


def pytest_sessionfinish(session: pytest.Session) -> None:
    deployment = session.config.stash.get(BACKGROUND, None)
    if deployment is not None:
        deployment.close()


@pytest.fixture(scope="session")
def background_deployment(pytestconfig: pytest.Config) -> BackgroundDeployment | None:
    return pytestconfig.stash.get(BACKGROUND, None)
