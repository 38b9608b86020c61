"""Imports flow one way: a module imports only its own layer and the layers below it.

Every module of the package is parsed (not imported), and every import is read: at module level,
in functions, under ``TYPE_CHECKING``; relative (``from ..core import x``) and absolute
(``django_fastapi.core``). A module that imports a layer above its own fails the test, naming the
import; so does any cycle between the package's parts (subpackages and top-level modules).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "django_fastapi"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

# Lowest first. Each layer may import itself and the layers before it, never one after it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("conf", ("django_fastapi.conf",)),
    ("core", ("django_fastapi.core",)),
    ("routing", ("django_fastapi.routing",)),
    ("security", ("django_fastapi.security", "django_fastapi.tokens")),
    ("events", ("django_fastapi.events",)),
    ("orm", ("django_fastapi.orm",)),
    ("openapi", ("django_fastapi.openapi",)),
    ("operations", ("django_fastapi.operations",)),
    ("server", ("django_fastapi.server",)),
    ("application", ("django_fastapi.application",)),
    ("testing", ("django_fastapi.testing",)),
    (
        "entry points",
        (
            "django_fastapi.asgi",
            "django_fastapi.wsgi",
            "django_fastapi.shortcuts",
            "django_fastapi.checks",
            "django_fastapi.apps",
            "django_fastapi.management",
            "django_fastapi",  # the package's __init__: get_application()
        ),
    ),
]

def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (ROOT.parent / relative).with_suffix(".py").exists() or (ROOT.parent / relative / "__init__.py").exists()


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import of the package's own modules in ``path``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                found.append((node.lineno, submodule if is_module(submodule) else module))
    return [(line, module) for line, module in found if module == PACKAGE or module.startswith(PACKAGE + ".")]


def layer_of(module: str) -> tuple[int, str]:
    """The layer's index and the part (the longest listed prefix) that ``module`` belongs to."""
    best: tuple[int, str] | None = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[1])):
                best = (index, prefix)
    assert best is not None, f"{module} is in no layer: add it to LAYERS in tests/test_layers.py"
    return best


def package_imports() -> list[tuple[str, int, str]]:
    """(importing module, line, imported module) across the package."""
    return [
        (module_name(path), line, imported)
        for path in sorted(ROOT.rglob("*.py"))
        if "migrations" not in path.parts
        for line, imported in imports_of(path)
    ]


def upward_imports(imports: list[tuple[str, int, str]]) -> list[str]:
    found = []
    for importer, line, imported in imports:
        (own, _), (target, _) = layer_of(importer), layer_of(imported)
        if target > own:
            found.append(
                f"{importer} (line {line}) imports {imported}: layer {LAYERS[own][0]!r} "
                f"may not import layer {LAYERS[target][0]!r}, which is above it"
            )
    return found


def part_cycles(imports: list[tuple[str, int, str]]) -> list[list[str]]:
    """Cycles in the graph of parts (subpackages, top-level modules) that import each other."""
    graph: dict[str, set[str]] = {}
    for importer, _, imported in imports:
        source, target = layer_of(importer)[1], layer_of(imported)[1]
        if source != target and target != PACKAGE:  # importing a part runs the package's __init__
            graph.setdefault(source, set()).add(target)
    cycles, done = [], set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycles.append([*path[path.index(node):], node])
            return
        if node in done:
            return
        for following in sorted(graph.get(node, ())):
            visit(following, [*path, node])
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    return cycles


def test_every_module_is_in_a_layer():
    for path in ROOT.rglob("*.py"):
        layer_of(module_name(path))


def test_no_module_imports_a_layer_above_its_own():
    assert upward_imports(package_imports()) == []


def test_no_import_cycle_between_parts():
    assert part_cycles(package_imports()) == []


def test_upward_import_is_reported():
    imports = [("django_fastapi.core.lanes", 3, "django_fastapi.security.sources")]
    assert upward_imports(imports) == [
        (
            "django_fastapi.core.lanes (line 3) imports django_fastapi.security.sources: "
            "layer 'core' may not import layer 'security', which is above it"
        )
    ]


def test_cycle_between_parts_is_reported():
    imports = [
        ("django_fastapi.security.throttling", 1, "django_fastapi.tokens.models"),
        ("django_fastapi.tokens.models", 2, "django_fastapi.security.sources"),
    ]
    assert part_cycles(imports) == [
        ["django_fastapi.security", "django_fastapi.tokens", "django_fastapi.security"]
    ]


def test_no_surface_name_hides_a_submodule():
    """``from .documents import documents`` in an ``__init__`` would make ``pkg.documents`` the function."""
    hidden = []
    for init in sorted(ROOT.glob("*/__init__.py")):
        modules = {path.stem for path in init.parent.glob("*.py")} | {
            path.parent.name for path in init.parent.glob("*/__init__.py")
        }
        for node in ast.parse(init.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                hidden += [
                    f"{module_name(init)}: {alias.asname or alias.name}"
                    for alias in node.names
                    if (alias.asname or alias.name) in modules
                ]
    assert hidden == []
