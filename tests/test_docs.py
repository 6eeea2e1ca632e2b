"""The README and the documentation site: short, built strictly, generated parts that are
what the code gives, a reference entry for every declared key, command, option, column and
term, an example notebook that runs, and the library shipped as package data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import load_script

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
README_LIMIT_CHARS = 10_000


update_docs = load_script("update_docs")


def page(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def table_keys(text: str) -> set[str]:
    """The first cell of every table row, without its backticks."""
    return {m.group(1) for m in re.finditer(r"^\| `([^`]+)`", text, re.M)}


# -- the README --------------------------------------------------------------------------

def test_the_readme_is_short():
    assert len(page("README.md")) <= README_LIMIT_CHARS


def test_the_readmes_links_name_files_that_exist():
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page("README.md"))
    assert len(links) >= 15
    missing = [link for link in links if not (ROOT / link).exists()]
    assert missing == []


# -- the generated parts -----------------------------------------------------------------

def check_blocks(blocks: dict[str, dict[str, str]]) -> None:
    for name, bodies in blocks.items():
        text = page(name)
        for block, body in bodies.items():
            held = update_docs.block_of(text, block)
            assert held is not None, f"{name} lacks the {block} markers"
            assert held == body, f"{name}: {block} is not what the code gives; run " \
                "python scripts/update_docs.py"


def test_the_reference_pages_are_what_the_declarations_give():
    check_blocks(update_docs.reference_blocks())


@pytest.mark.docs
def test_the_tables_of_results_are_what_the_code_gives(library):
    check_blocks(update_docs.result_blocks(library))


def test_a_block_without_its_markers_is_refused():
    with pytest.raises(SystemExit, match="no <!-- x:start -->"):
        update_docs.replace_block("text", "x", "body", "page.md")


# -- a reference entry for everything declared -------------------------------------------

def test_every_declared_scenario_key_has_a_reference_entry():
    from flowsim.outputs.reference import declared_keys

    listed = table_keys(page("docs/reference/scenario-files.md"))
    keys = declared_keys()
    assert len(keys) > 60 and "notice.*.grant" in keys
    assert [k for k in keys if k not in listed] == []
    # And the top of a file, which no table declares.
    assert {"extends", "[inputs]", "[[assumptions]]"} <= listed


def test_every_command_and_option_has_a_reference_entry():
    from flowsim.cli import build_parser
    from flowsim.outputs.reference import command_options

    text = page("docs/reference/commands.md")
    options = command_options(build_parser())
    assert {"run", "compare", "explore", "serve", "report"} <= set(options)
    for command, names in options.items():
        section = text.split(f"### `flowsim {command}`", 1)
        assert len(section) == 2, command
        body = section[1].split("\n### ", 1)[0]
        assert [n for n in names if f"`{n}`" not in body] == [], command


def test_every_column_of_every_file_has_a_dictionary_entry():
    from flowsim.outputs.tables import dictionary_table

    text = page("docs/reference/outputs.md")
    rows = dictionary_table()
    assert len(rows) > 50
    for _, row in rows.iterrows():
        assert f"| {row['table']} | `{row['column']}` |" in text


def test_every_term_of_the_glossary_has_an_entry_with_its_anchor():
    from flowsim.outputs.glossary import GLOSSARY

    text = page("docs/reference/glossary.md")
    assert [t.anchor for t in GLOSSARY if f"{{ #g-{t.anchor} }}" not in text] == []


def test_every_page_is_in_the_sites_navigation_and_every_entry_is_a_page():
    config = page("mkdocs.yml")
    named = set(re.findall(r":\s+([\w/.-]+\.md)\s*$", config, re.M))
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert named == pages


# -- the site and the notebook -----------------------------------------------------------

@pytest.mark.docs
def test_the_site_builds_strictly_and_works_offline(tmp_path):
    """`mkdocs build --strict` fails on a broken link, a missing page or a missing snippet;
    the built pages fetch nothing from another site."""
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                           "-d", str(site)], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, timeout=300)
    assert done.returncode == 0, done.stderr
    pages = list(site.rglob("*.html"))
    assert len(pages) > 20 and "flowsim" in (site / "index.html").read_text(encoding="utf-8")
    fetched = [(p.name, url) for p in pages for url in re.findall(
        r'<(?:script|link)[^>]+(?:src|href)="((?:https?:)?//[^"]+)"', p.read_text(encoding="utf-8"))]
    assert fetched == []
    record = (site / "background" / "record.html").read_text(encoding="utf-8")
    assert "2025-08-07" in record and "--8&lt;--" not in record


@pytest.mark.docs
def test_the_example_notebook_runs_from_top_to_bottom(tmp_path):
    """Executed in another folder: it finds the shipped scenarios, shows results as HTML
    tables and draws a chart."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(DOCS / "notebook.ipynb", as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    kinds = [set(o.get("data", {})) for o in outputs]
    assert sum("text/html" in k for k in kinds) >= 3
    assert "image/png" in kinds[-1] and sum("image/png" in k for k in kinds) >= 2


# -- the library as package data ---------------------------------------------------------

@pytest.mark.slow
def test_an_installed_wheel_finds_its_library_record_and_calibration(tmp_path):
    """Built as a wheel and installed elsewhere, flowsim lists and runs its shipped
    scenarios and reads its record, from a folder that is not the checkout."""
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                           str(tmp_path / "wheel"), str(ROOT)], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    (wheel,) = (tmp_path / "wheel").glob("flowsim-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {"flowsim/shipped/scenarios/baseline.toml", "flowsim/shipped/record/record.md",
            "flowsim/shipped/calibration/assumptions.toml",
            "flowsim/shipped/scenarios/medicaid/baseline.toml"} <= names
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site-packages")
    script = ("import flowsim\n"
              "from flowsim.outputs.record import read_record\n"
              "files = flowsim.scenarios()\n"
              "result = flowsim.run(flowsim.load(files[0]), replications=2)\n"
              "print(flowsim.__file__, files[0].name, len(files), len(read_record()),\n"
              "      len(flowsim.scenarios('medicaid')))\n")
    ran = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(tmp_path / "site-packages")},
                         timeout=300)
    assert ran.returncode == 0, ran.stderr
    where, first, count, rows, medicaid = ran.stdout.split()
    assert where.startswith(str(tmp_path)) and first == "baseline.toml"
    assert int(count) == len(list((ROOT / "scenarios").glob("*.toml")))
    assert int(rows) > 50 and int(medicaid) == 4
