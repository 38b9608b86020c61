"""The reference documentation (docs/, README.rst) against the package: imports shown there work,
and every check id and every setting is documented. Needs no Sphinx."""

from __future__ import annotations

import re
from importlib import import_module
from pathlib import Path

import pytest

from django_fastapi.conf import api_settings

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
PAGES = sorted(DOCS.glob("*.rst")) + [REPO / "README.rst", REPO / "CHANGELOG.rst"]

IMPORT = re.compile(r"\bfrom (django_fastapi(?:\.\w+)*) import (\w+(?:[ \t]*,[ \t]*\w+)*)")
DOTTED = re.compile(r"\b(django_fastapi(?:\.\w+)+)(?::(\w+))?")
CHECK_ID = re.compile(r"django_fastapi\.[EW]\d{3}")
SETTING = re.compile(r"\bFASTAPI_[A-Z0-9_]*[A-Z0-9]\b")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _imports() -> list[tuple[str, str]]:
    found = {}
    for path in PAGES:
        for match in IMPORT.finditer(_text(path)):
            found.setdefault(match.group(0), f"{path.relative_to(REPO)}: {match.group(0)}")
    return sorted(found.items())


def _dotted_names() -> list[str]:
    names = set()
    for path in PAGES:
        for match in DOTTED.finditer(_text(path)):
            if not CHECK_ID.fullmatch(match.group(1)):
                names.add(":".join(part for part in match.groups() if part))
    return sorted(names)


def _package_check_ids() -> set[str]:
    ids = set()
    for path in (REPO / "django_fastapi").rglob("checks.py"):
        ids.update(CHECK_ID.findall(_text(path)))
    return ids


def _settings() -> set[str]:
    return {f"FASTAPI_{name}" for name in api_settings.names()}


def test_docs_show_imports():
    assert len(_imports()) >= 5


@pytest.mark.parametrize(("statement", "where"), _imports(), ids=[where for _, where in _imports()])
def test_import_shown_in_docs_works(statement, where):
    exec(statement, {})  # noqa: S102 - the statement is an import line taken from the docs


@pytest.mark.parametrize("dotted", _dotted_names())
def test_dotted_name_in_docs_resolves(dotted):
    # ``django_fastapi.orm.saving``, ``django_fastapi.asgi:application``: the longest importable
    # module, then attributes.
    path, _, attribute = dotted.partition(":")
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in [*parts[cut:], *filter(None, [attribute])]:
            target = getattr(target, name)
        return
    pytest.fail(f"{dotted} does not import")


def test_package_defines_check_ids():
    assert len(_package_check_ids()) >= 8


def test_every_check_id_documented():
    reference = _text(DOCS / "checks.rst")
    assert sorted(check_id for check_id in _package_check_ids() if check_id not in reference) == []


def test_documented_check_ids_exist():
    assert sorted(set(CHECK_ID.findall(_text(DOCS / "checks.rst"))) - _package_check_ids()) == []


def test_every_setting_documented():
    reference = _text(DOCS / "settings.rst")
    assert sorted(name for name in _settings() if not re.search(rf"\b{name}\b", reference)) == []


def test_documented_settings_exist():
    documented = set()
    for path in PAGES:
        documented.update(SETTING.findall(_text(path)))
    assert sorted(documented - _settings()) == []
