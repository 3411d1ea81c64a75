"""The layering of ../shared/DESIGN.md ("One picture"), checked by walking every import."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
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


def _offenders(modules: Iterable[Path], banned: Callable[[str], bool]) -> list[str]:
    """``path: module`` for each import of ``modules`` that ``banned`` says may not be there."""
    return [f"{p.relative_to(PACKAGE)}: {m}" for p in modules for m in _imports(p) if banned(m)]


def _outside(part: str) -> list[Path]:
    """The modules outside the package's sub-package ``part``."""
    return [p for p in _modules() if part not in p.relative_to(PACKAGE).parts[:1]]


def test_only_gui_imports_pyside6() -> None:
    gui_only = ("PySide6", "shiboken6")
    assert _offenders(_outside("gui"), lambda m: m.split(".")[0] in gui_only) == []


def test_only_cli_imports_click() -> None:
    assert _offenders(_outside("cli"), lambda m: m.split(".")[0] == "click") == []


def test_domain_imports_nothing_else_of_ours() -> None:
    def ours_beyond_domain(m: str) -> bool:
        return m.startswith("counter_app") and not m.startswith("counter_app.domain")

    assert _offenders(_modules("domain"), ours_beyond_domain) == []


def test_ca_imports_neither_token_nor_store() -> None:
    above = ("counter_app.token", "counter_app.store", "counter_app.services")
    assert _offenders(_modules("ca"), lambda m: m.startswith(above)) == []


def test_kmc_imports_neither_token_nor_store_nor_services() -> None:
    # The KMC is the signing side's, like ca/: handed its files, it reaches nothing above.
    above = ("counter_app.token", "counter_app.store", "counter_app.services")
    assert _offenders(_modules("kmc"), lambda m: m.startswith(above)) == []


def test_lower_layers_never_import_front_ends() -> None:
    front = ("counter_app.gui", "counter_app.cli", "counter_app.server")
    lower = [
        p
        for p in _modules()
        if p.relative_to(PACKAGE).parts[0]
        in ("domain", "store", "token", "ca", "kmc", "services", "documents")
    ]
    assert _offenders(lower, lambda m: m.startswith(front)) == []


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
    assert _offenders(_modules("services"), lambda m: m.startswith(SIGNING_TABLES)) == []


# The counter's own tables (and the operators' and the back office's): services reach their rows
# only through the repositories in store/ (counter_repo, money_repo, operator_repo,
# backoffice_repo), which hold every query.
COUNTER_TABLES = (
    "counter_app.store.counter",
    "counter_app.store.models",
    "counter_app.store.backoffice",
)
# What a service may still do with a session itself: hand it on, and flush what it changed.
SESSION_QUERIES = {"execute", "scalar", "scalars", "get", "query", "add", "add_all", "delete"}


def _table_names(tree: ast.AST) -> set[str]:
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module in COUNTER_TABLES
        for alias in node.names
    }


def _queries(path: Path) -> list[str]:
    """Where a module builds or runs a query itself: a query construct imported from
    SQLAlchemy, a session asked directly, or a table's column named (``Row.column``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    tables = _table_names(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            if node.module not in ("sqlalchemy.orm", "sqlalchemy.exc"):
                found.append(f"from {node.module} import …")
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "sqlalchemy"]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "session"
            and node.func.attr in SESSION_QUERIES
        ):
            found.append(f"session.{node.func.attr}() at line {node.lineno}")
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in tables
        ):
            found.append(f"{node.value.id}.{node.attr} at line {node.lineno}")
    return found


def test_services_reach_counter_rows_only_through_the_store_repositories() -> None:
    offenders = [
        f"{p.relative_to(PACKAGE)}: {q}" for p in _modules("services") for q in _queries(p)
    ]
    assert offenders == []


def test_the_query_rule_sees_a_query() -> None:
    # Guards the guard: the repositories themselves break the rule services keep.
    found = _queries(PACKAGE / "store" / "money_repo.py")
    assert "from sqlalchemy import …" in found
    assert any(q.startswith("PaymentRow.receipt_number") for q in found)
