"""The package's layers import one way: scenario <- model <- experiments <- outputs <- serve <-
commands <- cli.

Each module may import its own layer and the layers to its left, and the base modules
(`errors`, `spreadsheet`, the package's `__version__`) from anywhere. No module imports
a private name (one starting with `_`) from another module.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "src" / "flowsim"
LAYERS = ("scenario", "model", "experiments", "outputs", "serve", "commands", "cli")
BASE = {"flowsim", "flowsim.errors", "flowsim.spreadsheet"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    if module in BASE or len(parts) < 2:
        return None
    top = parts[1]
    if top in ("cli", "__main__"):
        return LAYERS.index("cli")
    return LAYERS.index(top) if top in LAYERS else None


def imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, imported module, names) for every flowsim import in the file."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "flowsim" or target.startswith("flowsim."):
                names = [a.name for a in node.names]
                # `from . import charts` names a module, not a value.
                subs = [n for n in names if (PACKAGE.parent / (target.replace(".", "/") + "/" + n)
                                              ).with_suffix(".py").exists()]
                for sub in subs:
                    found.append((node.lineno, f"{target}.{sub}", []))
                rest = [n for n in names if n not in subs]
                if rest:
                    found.append((node.lineno, target, rest))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("flowsim"):
                    found.append((node.lineno, alias.name, []))
    return found


def test_every_import_goes_to_its_own_layer_or_one_to_its_left():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        mine = layer_of(module_name(path))
        for line, target, _ in imports(path):
            theirs = layer_of(target)
            if mine is not None and theirs is not None and theirs > mine:
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {target}")
            if mine is None and module_name(path) in BASE - {"flowsim"} and theirs is not None:
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} (a base module) imports {target}")
    assert wrong == []


def test_no_private_name_is_imported_from_another_module():
    wrong = [f"{path.relative_to(PACKAGE)}:{line} imports {name} from {target}"
             for path in sorted(PACKAGE.rglob("*.py"))
             for line, target, names in imports(path)
             for name in names if name.startswith("_") and name != "__version__"]
    assert wrong == []


def test_the_check_sees_a_wrong_way_import(tmp_path, monkeypatch):
    """The checker itself: a model module importing outputs is caught."""
    bad = PACKAGE / "model" / "_layer_probe.py"
    bad.write_text("from ..outputs import charts\n", encoding="utf-8")
    try:
        mine = layer_of(module_name(bad))
        targets = [layer_of(t) for _, t, _ in imports(bad)]
        assert mine == LAYERS.index("model") and targets == [LAYERS.index("outputs")]
    finally:
        bad.unlink()
