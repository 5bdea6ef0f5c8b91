"""The layout holds: no import cycles between iepd's modules, the decisions in ``decide/``
read no store, network, daemon or clock, and each third-party library has one importer.

Read from the source with ``ast``, so a lazy import inside a function counts as much as one
at the top of a module."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "daemon" / "iepd"
# What a pure decision may not reach: the store, the mail connections, the running daemon,
# the inbox's I/O, or a clock.
FORBIDDEN_IN_DECIDE = ("iepd.store", "iepd.mail", "iepd.run", "iepd.outbox", "iepd.cli")
CLOCK_CALLS = {"now", "utcnow", "today", "monotonic", "perf_counter", "time_ns"}
# A library that more than one module may import: none. Listed so a new one gets a thought.
THIRD_PARTY = {
    "imapclient", "aiosmtplib", "apscheduler", "jinja2", "keyring", "flufl", "icalendar",
    "aiosmtpd", "pymap", "pysasl", "proxyprotocol", "rich", "reportlab", "simplemma", "babel",
}  # fmt: skip


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, ast.Module]:
    return {
        module_name(path): ast.parse(path.read_text(encoding="utf-8"), str(path))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def imported(name: str, tree: ast.Module) -> Iterator[str]:
    """Every module ``name`` imports, as absolute dotted names (``from iepd.x import y``
    yields ``iepd.x`` and, when ``iepd.x.y`` is a module, that too)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.rsplit(".", node.level)[0]
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            yield source
            yield from (f"{source}.{alias.name}" for alias in node.names)


def iepd_graph() -> dict[str, set[str]]:
    trees = modules()
    return {
        name: {other for other in imported(name, tree) if other in trees and other != name}
        for name, tree in trees.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return None
        visiting.append(node)
        for other in sorted(graph[node]):
            # a package's __init__ holds a docstring only: importing a submodule loads it,
            # which is no dependency of the package on the submodule
            if other == node.rsplit(".", 1)[0]:
                continue
            cycle = visit(other)
            if cycle:
                return cycle
        visiting.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start)
        if cycle:
            return cycle
    return None


def test_iepd_has_no_import_cycle() -> None:
    assert find_cycle(iepd_graph()) is None


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"iepd.a": {"iepd.b"}, "iepd.b": {"iepd.c"}, "iepd.c": {"iepd.a"}, "iepd.d": set()}
    assert find_cycle(graph) == ["iepd.a", "iepd.b", "iepd.c", "iepd.a"]


def test_package_init_files_hold_a_docstring_only() -> None:
    for path in PACKAGE.rglob("__init__.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        body = [node for node in tree.body if not isinstance(node, ast.Assign)]
        assert len(body) == 1 and isinstance(body[0], ast.Expr), path
        assert isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)


def decide_modules() -> dict[str, ast.Module]:
    return {name: tree for name, tree in modules().items() if name.startswith("iepd.decide.")}


@pytest.mark.parametrize("name", sorted(decide_modules()))
def test_a_decision_imports_no_store_mail_daemon_or_clock(name: str) -> None:
    tree = decide_modules()[name]
    reached = set(imported(name, tree))
    assert not {m for m in reached if m.startswith(FORBIDDEN_IN_DECIDE)}
    assert not reached & {"time", "sqlite3", "socket", "ssl", "asyncio", "threading"}
    clocks = [
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in CLOCK_CALLS
    ]
    assert clocks == [], f"{name} reads a clock: {clocks}"


def test_decide_holds_the_planner_matching_and_classification() -> None:
    assert {"iepd.decide.plan", "iepd.decide.matching", "iepd.decide.classify"} <= set(
        decide_modules()
    )


def test_each_third_party_library_has_one_importer() -> None:
    importers: dict[str, set[str]] = {}
    for name, tree in modules().items():
        for other in imported(name, tree):
            top = other.split(".")[0]
            if top in THIRD_PARTY:
                importers.setdefault(top, set()).add(name)
    shared = {library: sorted(names) for library, names in importers.items() if len(names) > 1}
    assert shared == {}


def test_no_module_outside_the_standard_library_and_the_known_libraries_is_imported() -> None:
    unknown = set()
    for name, tree in modules().items():
        for other in imported(name, tree):
            top = other.split(".")[0]
            if top and top != "iepd" and top not in THIRD_PARTY:
                if top not in sys.stdlib_module_names and top != "__future__":
                    unknown.add((name, top))
    assert unknown == set()


def test_no_module_is_over_400_lines() -> None:
    long = {
        module_name(path): length
        for path in PACKAGE.rglob("*.py")
        if (length := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """Every module that importing ``start`` may load (lazy imports included)."""
    seen, todo = {start}, [start]
    while todo:
        for other in graph[todo.pop()] - seen:
            seen.add(other)
            todo.append(other)
    return seen


def test_the_daemon_never_reaches_the_pdf_library() -> None:
    """reportlab and its font are for `iepd print` alone: the daemon stays light."""
    graph = iepd_graph()
    assert "iepd.letters.pdf" not in reachable(graph, "iepd.run.daemon")
    importers = {name for name, tree in modules().items() if any(
        other.split(".")[0] == "reportlab" for other in imported(name, tree)
    )}  # fmt: skip
    assert importers == {"iepd.letters.pdf"}
