"""Packages of mlplab depend one way, and share only public names.

A package is the first component under ``mlplab`` (``mlplab.sweep.core`` belongs to ``sweep``);
a top-level module is its own package (``mlplab.cli`` is ``cli``). Every ``import`` in the
source counts, inside functions and under ``if TYPE_CHECKING:`` too: a deferred import is still a
dependency, only one that surfaces later. The source is read with ``ast``, not imported.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import mlplab

ROOT = Path(mlplab.__file__).parent


@dataclass(frozen=True)
class Imported:
    """One imported name: ``source`` (a module of mlplab) imports ``name`` from ``target``.

    ``name`` is None for ``import target``; ``target`` is the absolute module path, relative
    imports resolved.
    """

    source: str
    target: str
    name: str | None


def module_names(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every .py under ``root`` (a package named mlplab)."""
    out = {}
    for path in root.rglob("*.py"):
        parts = ("mlplab", *path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports_of(module: str, path: Path) -> list[Imported]:
    """Every mlplab import in one file, at any depth of the tree."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [Imported(module, a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found += [Imported(module, base, a.name) for a in node.names]
    return [i for i in found if i.target == "mlplab" or i.target.startswith("mlplab.")]


def package_of(module: str) -> str | None:
    """The first component under mlplab; None for ``mlplab`` itself (the root package)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def all_imports(root: Path = ROOT) -> list[Imported]:
    return [i for name, path in sorted(module_names(root).items()) for i in imports_of(name, path)]


def _target_package(imp: Imported) -> str | None:
    # `from mlplab import nn` names the package nn; `from mlplab import __version__` the root
    if imp.target == "mlplab" and imp.name and not _is_dunder(imp.name):
        return imp.name
    return package_of(imp.target)


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def package_graph(imports: list[Imported]) -> dict[str, set[str]]:
    """package -> the other packages it imports from (the root package is left out)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        src, dst = package_of(imp.source), _target_package(imp)
        if src is None or dst is None or src == dst:
            continue
        graph.setdefault(src, set()).add(dst)
    return graph


def both_ways(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Sorted pairs (a, b), a < b, where a imports b and b imports a."""
    return sorted({tuple(sorted((a, b))) for a, targets in graph.items() for b in targets
                   if a in graph.get(b, set())})


def private_across(imports: list[Imported]) -> list[str]:
    """``source: target.name`` for each name starting with "_" imported from another package.

    A private module on the path (``mlplab.x._impl``) counts as well as a private name.
    """
    out = []
    for imp in imports:
        if _target_package(imp) == package_of(imp.source):
            continue
        dotted = imp.target.split(".")[1:] + ([imp.name] if imp.name else [])
        if any(part.startswith("_") and not _is_dunder(part) for part in dotted):
            out.append(f"{imp.source}: {imp.target}.{imp.name}" if imp.name
                       else f"{imp.source}: {imp.target}")
    return sorted(out)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "mlplab"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_reader_counts_function_level_and_relative_imports(tmp_path):
    root = _tree(tmp_path, {
        "__init__.py": "",
        "cli.py": "from mlplab import __version__\n"
                  "def main():\n    from mlplab.sweep.core import run\n",
        "sweep/__init__.py": "from .core import run\n",
        "sweep/core.py": "from ..cli import _console\nimport mlplab.nn.layers\n",
        "nn/__init__.py": "",
        "nn/layers.py": "from . import init\nfrom .init import _seed\n",
        "nn/init.py": "",
    })
    imports = all_imports(root)
    assert Imported("mlplab.cli", "mlplab.sweep.core", "run") in imports
    assert Imported("mlplab.sweep.core", "mlplab.cli", "_console") in imports
    assert Imported("mlplab.nn.layers", "mlplab.nn", "init") in imports
    assert package_graph(imports) == {"cli": {"sweep"}, "sweep": {"cli", "nn"}}
    assert both_ways(package_graph(imports)) == [("cli", "sweep")]
    # _seed stays inside nn, so only the cross-package one is reported
    assert private_across(imports) == ["mlplab.sweep.core: mlplab.cli._console"]


def test_reader_sees_the_real_tree():
    graph = package_graph(all_imports())
    assert {"cli", "experiments", "report", "nn", "train"} <= set(graph)
    assert "nn" in graph["train"]


def test_no_two_packages_import_each_other():
    pairs = both_ways(package_graph(all_imports()))
    assert pairs == [], f"packages importing each other both ways: {pairs}"


def test_no_private_name_is_imported_from_another_package():
    found = private_across(all_imports())
    assert found == [], "private names imported across packages:\n" + "\n".join(found)
