"""Anyone may reuse and cite flowsim, and every result says what made it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import flowsim

ROOT = Path(__file__).parents[1]


def test_the_licence_is_mit_and_the_package_declares_it():
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]


def test_the_citation_file_names_this_version_and_the_licence():
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    fields = dict(re.findall(r"^([a-z-]+): (.+)$", text, re.M))
    assert fields["cff-version"] == "1.2.0"
    assert fields["version"].strip('"') == flowsim.__version__
    assert fields["license"] == "MIT" and fields["type"] == "software"


def test_a_manifest_states_the_hardware_python_and_packages(tmp_path):
    import json

    from flowsim.outputs.writers import write_results
    from helpers import scenario

    write_results(flowsim.run(scenario(), replications=2), tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert doc["packages"]["python"].count(".") == 2
    assert {"simpy", "numpy", "pandas", "scipy"} <= set(doc["packages"])
    assert doc["hardware"]["cpus"] >= 1 and doc["hardware"]["machine"]


def test_the_changelog_leads_with_this_version_and_holds_every_migration_note():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = re.findall(r"^## (\d+\.\d+\.\d+) ", text, re.M)
    assert versions[0] == flowsim.__version__ and versions == sorted(versions, reverse=True)
    assert text.count("### Migration notes") == len(versions) - 1  # every release but the first
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "| what | before | now |" not in readme and "CHANGELOG.md" in readme
