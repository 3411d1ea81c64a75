"""Property: whatever the JSON, the domain refuses it with a ValidationError or accepts it."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from counter_app.domain.agreement import AgreementVersion
from counter_app.domain.applications import parse_application, validate_application
from counter_app.domain.errors import ValidationError
from counter_app.domain.fees import FeeTable, parse_yuan
from counter_app.domain.subscribers import parse_documents, parse_subscriber

from .conftest import RESOURCES, application, load_toml

# Built once here rather than as fixtures: hypothesis re-runs the body many times per test.
FEE_TABLE = FeeTable.from_mapping(load_toml("fees.toml"))
AGREEMENTS = [
    AgreementVersion.from_bytes("1", (RESOURCES / "agreements" / "v1.zh.txt").read_bytes())
]

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=12,
)
# Text that looks like the real thing (digits, X, Chinese, control characters) finds more paths.
near_text = st.text(alphabet="0123456789Xx张三-. @\n\u200b,", max_size=20)

SETTINGS = settings(max_examples=150, deadline=None)


def _accept_or_refuse(call: Any, *args: Any) -> None:
    with contextlib.suppress(ValidationError):
        call(*args)


@SETTINGS
@given(json_values)
def test_random_subscriber_never_crashes(data: object) -> None:
    _accept_or_refuse(parse_subscriber, data)


@SETTINGS
@given(json_values)
def test_random_documents_never_crash(data: object) -> None:
    _accept_or_refuse(parse_documents, data)


@SETTINGS
@given(json_values | near_text)
def test_random_amount_never_crashes(data: object) -> None:
    _accept_or_refuse(parse_yuan, data)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@SETTINGS
@given(
    st.sampled_from(["individual", "unit", "device"]),
    st.data(),
    json_values | near_text,
)
def test_mutated_application_never_crashes(
    kind: str,
    data: st.DataObject,
    replacement: object,
) -> None:
    app = copy.deepcopy(application(kind))
    path = data.draw(st.sampled_from(_paths(app)))
    target: Any = app
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = replacement
    _accept_or_refuse(parse_application, app, FEE_TABLE, AGREEMENTS)
    errors = validate_application(app, FEE_TABLE, AGREEMENTS)
    assert all(
        isinstance(e, ValidationError) and e.message("zh") and e.message("en") for e in errors
    )


@SETTINGS
@given(json_values)
def test_random_application_never_crashes(data: object) -> None:
    _accept_or_refuse(parse_application, data, FEE_TABLE, AGREEMENTS)
