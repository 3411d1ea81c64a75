"""What the revisions build again and again, spelled once: runs of columns of one type, the
surrogate key and its primary key, the link to an application, Alembic's ``ix_<table>_<column>`` indexes, and
columns added or dropped in one batch (so SQLite, which cannot alter a column, can).

A revision's schema is fixed once it is released: these only spell it (the DDL is the same
as the revisions wrote out by hand), and they never read the current models.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op


def columns(type_: Any, *names: str, nullable: bool = False) -> list[sa.Column[Any]]:
    """Columns of one type and nullability, in the order named."""
    return [sa.Column(name, type_, nullable=nullable) for name in names]


def key() -> tuple[sa.Column[Any], sa.PrimaryKeyConstraint]:
    """The integer surrogate key ``id``, the table's primary key."""
    return sa.Column("id", sa.Integer(), nullable=False), sa.PrimaryKeyConstraint("id")


def of_application() -> sa.ForeignKeyConstraint:
    """The row belongs to an application (its ``application_id`` column)."""
    return sa.ForeignKeyConstraint(["application_id"], ["applications.id"])


def create_table(name: str, *items: Any, indexed: tuple[str, ...] = ()) -> None:
    """The table and an index on each of ``indexed``."""
    op.create_table(name, *items)
    create_indexes(name, *indexed)


def drop_table(name: str, *, indexed: tuple[str, ...] = ()) -> None:
    """Undo :func:`create_table`."""
    drop_indexes(name, *indexed)
    op.drop_table(name)


def create_indexes(table: str, *names: str) -> None:
    """Alembic's ``ix_<table>_<column>`` index on each column, in order."""
    if not names:
        return
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name in names:
            batch_op.create_index(batch_op.f(f"ix_{table}_{name}"), [name], unique=False)


def drop_indexes(table: str, *names: str) -> None:
    """Undo :func:`create_indexes` (the last made first)."""
    if not names:
        return
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name in reversed(names):
            batch_op.drop_index(batch_op.f(f"ix_{table}_{name}"))


def add_columns(table: str, *added: sa.Column[Any]) -> None:
    """Add columns to a table in one batch."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in added:
            batch_op.add_column(column)


def drop_columns(table: str, *names: str) -> None:
    """Drop columns from a table in one batch, in the order named."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name in names:
            batch_op.drop_column(name)
