"""The parts of the data directory (``ca/``, ``kmc/``, ``est/``) and the files each one holds.

Each part is a frozen dataclass over its directory that names its files once. The way to find a
part under a data directory, and the way to name one of its files, are the same for all of them,
so they live here instead of being written again in ``ca/``, ``kmc/`` and ``server/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self, overload


@dataclass(frozen=True)
class DataDirPart:
    """One part of the data directory; a subclass says which (``part``) and names its files."""

    directory: Path
    part: ClassVar[str]

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> Self:
        return cls(data_dir / cls.part)


class InDirectory:
    """A file (or folder) of fixed name in an object's ``directory`` (a :class:`DataDirPart`, or
    the offline root's media): ``cert = InDirectory("ca.pem")`` reads as ``directory / "ca.pem"``,
    a read-only attribute."""

    def __init__(self, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, holder: None, owner: Any) -> InDirectory: ...

    @overload
    def __get__(self, holder: Any, owner: Any) -> Path: ...

    def __get__(self, holder: Any, owner: Any) -> InDirectory | Path:
        if holder is None:
            return self
        directory: Path = holder.directory
        return directory / self.name
