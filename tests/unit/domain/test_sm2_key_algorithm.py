"""SM2 in the fee table: offered where the table allows it, shown as "SM2"."""

from __future__ import annotations

import tomllib

import pytest

from counter_app.config import resource_path
from counter_app.domain.errors import ValidationError
from counter_app.domain.fees import FeeTable, KeyAlgorithm


@pytest.fixture(scope="module")
def table() -> FeeTable:
    with resource_path("fees.toml").open("rb") as fh:
        return FeeTable.from_mapping(tomllib.load(fh))


def test_sm2_is_offered_for_individual_and_unit_certificates(table: FeeTable) -> None:
    for code in ("individual", "unit"):
        assert table.certificate_type(code).check_key_algorithm("sm2") is KeyAlgorithm.SM2


def test_sm2_is_not_offered_for_device_certificates(table: FeeTable) -> None:
    with pytest.raises(ValidationError):
        table.certificate_type("device").check_key_algorithm("sm2")


def test_sm2_display_name_and_dual_pair() -> None:
    assert KeyAlgorithm.SM2.display_name == "SM2"
    assert KeyAlgorithm.SM2.is_dual and not KeyAlgorithm.EC_P256.is_dual
    assert KeyAlgorithm.EC_P256.display_name == "ECC P-256"
