"""The package metadata matches the code: every subpackage is shipped, versions agree."""

from __future__ import annotations

import tomllib
from pathlib import Path

import nox_client

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_for_setuptools():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(project["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "nox_client").rglob("__init__.py")}
    assert listed == on_disk


def test_versions_agree_and_typing_marker_is_shipped():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["version"] == nox_client.__version__
    assert (ROOT / "nox_client" / "py.typed").exists()
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["nox_client"]
    assert any(dep.startswith("httpx") for dep in project["project"]["dependencies"])
