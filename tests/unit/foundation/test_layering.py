"""The layering of ../shared/DESIGN.md ("One picture"), checked by walking every import."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "counter_app"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.add("counter_app.<relative>")
    return found


def _modules(sub: str = "") -> list[Path]:
    return sorted((PACKAGE / sub).rglob("*.py"))


def test_only_gui_imports_pyside6() -> None:
    offenders = [
        f"{p.relative_to(PACKAGE)}: {m}"
        for p in _modules()
        if "gui" not in p.relative_to(PACKAGE).parts
        for m in _imports(p)
        if m.split(".")[0] in ("PySide6", "shiboken6")
    ]
    assert offenders == []


def test_only_cli_imports_click() -> None:
    offenders = [
        f"{p.relative_to(PACKAGE)}: {m}"
        for p in _modules()
        if p.relative_to(PACKAGE).parts[0] != "cli"
        for m in _imports(p)
        if m.split(".")[0] == "click"
    ]
    assert offenders == []


def test_domain_imports_nothing_else_of_ours() -> None:
    offenders = [
        f"{p.relative_to(PACKAGE)}: {m}"
        for p in _modules("domain")
        for m in _imports(p)
        if m.startswith("counter_app") and not m.startswith("counter_app.domain")
    ]
    assert offenders == []


def test_ca_imports_neither_token_nor_store() -> None:
    offenders = [
        f"{p.relative_to(PACKAGE)}: {m}"
        for p in _modules("ca")
        for m in _imports(p)
        if m.startswith(("counter_app.token", "counter_app.store", "counter_app.services"))
    ]
    assert offenders == []


def test_kmc_imports_neither_token_nor_store_nor_services() -> None:
    # The KMC is the signing side's, like ca/: handed its files, it reaches nothing above.
    offenders = [
        f"{p.relative_to(PACKAGE)}: {m}"
        for p in _modules("kmc")
        for m in _imports(p)
        if m.startswith(("counter_app.token", "counter_app.store", "counter_app.services"))
    ]
    assert offenders == []


def test_lower_layers_never_import_front_ends() -> None:
    front = ("counter_app.gui", "counter_app.cli", "counter_app.server")
    lower = [
        p
        for p in _modules()
        if p.relative_to(PACKAGE).parts[0]
        in ("domain", "store", "token", "ca", "kmc", "services", "documents")
    ]
    offenders = [
        f"{p.relative_to(PACKAGE)}: {m}" for p in lower for m in _imports(p) if m.startswith(front)
    ]
    assert offenders == []


def test_layering_walk_sees_the_package() -> None:
    # Guards the guards: an empty walk would make every test above pass vacuously.
    assert len(_modules()) > 10
    assert "counter_app.domain.errors" in _imports(PACKAGE / "domain" / "identifiers.py")


# The signing module's persistence: its tables, statement cache, writer queue and wiring.
SIGNING_TABLES = (
    "counter_app.store.ca_tables",
    "counter_app.store.certificates",
    "counter_app.store.prepared",
    "counter_app.store.writer_queue",
    "counter_app.store.signing_module",
)


def test_services_reach_the_signing_module_only_through_its_client() -> None:
    offenders = [
        f"{p.relative_to(PACKAGE)}: {m}"
        for p in _modules("services")
        for m in _imports(p)
        if m.startswith(SIGNING_TABLES)
    ]
    assert offenders == []
