"""The layers of bot/ point one way: read every import (module level and inside functions) with ast.

Imports under `if TYPE_CHECKING:` are left out: they never run, they only name types for annotations.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"

# Layers below the handlers: flows as data, SQL, text, search. None of them knows Telegram.
TELEGRAM_FREE = ("bot.store", "bot.content", "bot.search", "bot.wizard")
# The wiring: the only modules outside bot/handlers/ that may import it.
WIRING = {"bot.app", "bot.lifecycle", "bot.local", "bot.chat", "bot.cli"}


def _name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(path): path for path in BOT.rglob("*.py")}


def _type_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports_in(node: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every module `node` imports, as absolute names (`from p import m` names p.m when m is a module)."""
    found: set[str] = set()
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _type_only(child):
            found |= set().union(*(_imports_in(n, module, is_package) for n in child.orelse))
            continue
        if isinstance(child, ast.Import):
            found |= {alias.name for alias in child.names}
        elif isinstance(child, ast.ImportFrom):
            base = child.module or ""
            if child.level:
                package = module.split(".")[: len(module.split(".")) - child.level + is_package]
                base = ".".join([*package, *([base] if base else [])])
            for alias in child.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
        found |= _imports_in(child, module, is_package)
    return found


@cache
def imports(module: str) -> frozenset[str]:
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return frozenset(_imports_in(tree, module, path.name == "__init__.py"))


def _reachable(module: str) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        for name in imports(todo.pop()):
            if name not in seen:
                seen.add(name)
                if name in MODULES:
                    todo.append(name)
    return seen


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _cycle_from(start: str) -> list[str] | None:
    """A path start → … → start through bot's modules, if there is one."""
    stack, seen = [(start, [start])], set()
    while stack:
        module, path = stack.pop()
        for name in sorted(imports(module) & MODULES.keys()):
            if name == start:
                return [*path, start]
            if name not in seen:
                seen.add(name)
                stack.append((name, [*path, name]))
    return None


def test_the_graph_is_read():
    # guards the reader itself: a relative import, a module-level and a function-level import
    assert "bot.emulator.world" in imports("bot.emulator.core")
    assert "bot.lifecycle" in imports("bot.cli") and "bot.chat" in imports("bot.cli")
    assert "bot.handlers.wizard" in imports("bot.handlers.menu")


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_cycle(module):
    assert _cycle_from(module) is None, " → ".join(_cycle_from(module))


@pytest.mark.parametrize("module", sorted(m for m in MODULES if any(_within(m, p) for p in TELEGRAM_FREE)))
def test_lower_layers_never_reach_telegram_or_the_handlers(module):
    reached = _reachable(module)
    assert not [n for n in reached if _within(n, "telegram") or _within(n, "bot.handlers")]


def test_only_the_wiring_imports_the_handlers():
    outside = {m for m in MODULES if not _within(m, "bot.handlers")}
    importers = {m for m in outside if any(_within(n, "bot.handlers") for n in imports(m))}
    assert importers <= WIRING, importers - WIRING


def test_the_readme_names_every_module_and_package():
    readme = (BOT.parent / "README.md").read_text(encoding="utf-8")
    listed = {line.split()[0] for line in readme.splitlines() if line.startswith("bot/")}
    packages = {f"{init.parent.relative_to(BOT.parent)}/" for init in BOT.rglob("__init__.py")}
    modules = {str(path.relative_to(BOT.parent)) for path in BOT.rglob("*.py") if path.name != "__init__.py"}
    assert (packages | modules) - {"bot/"} <= listed
