"""The rules core stays pure: no framework, no database, no clock, no files, no environment."""

import ast
from pathlib import Path

import pytest

import tracker.rules

RULES = Path(tracker.rules.__file__).parent
ALLOWED = {
    "__future__",
    "bisect",
    "calendar",
    "chinese_calendar",
    "collections",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "fractions",
    "functools",
    "math",
    "re",
    "typing",
    "unicodedata",
    "zoneinfo",
    "tracker.rules",
}
# `os`, `time` and `pathlib` are not importable above; these catch the clock and files through datetime.
FORBIDDEN_CALLS = {"now", "today", "utcnow", "fromtimestamp", "open"}


def imported_modules(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module or ""


@pytest.mark.parametrize("path", sorted(RULES.glob("*.py")), ids=lambda path: path.name)
def test_a_rules_module_imports_only_the_standard_library_and_the_calendar(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for module in imported_modules(tree):
        assert module in ALLOWED or module.split(".")[0] in ALLOWED or module.startswith("tracker.rules."), (
            f"{path.name} imports {module}"
        )


@pytest.mark.parametrize("path", sorted(RULES.glob("*.py")), ids=lambda path: path.name)
def test_a_rules_module_never_reads_the_clock_files_or_environment(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            assert name not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno} calls {name}()"


@pytest.mark.parametrize("path", sorted(RULES.glob("*.py")), ids=lambda path: path.name)
def test_a_rules_module_opens_with_a_docstring(path):
    assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
