"""Shared data for the domain tests: the shipped resources and one valid application per kind."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from counter_app.domain.agreement import AgreementVersion
from counter_app.domain.applications import ApplicationItem, parse_application_items
from counter_app.domain.fees import FeeTable

RESOURCES = Path(__file__).resolve().parents[3] / "resources"

RESIDENT_ID = "11010519491231002X"
USCC = "91110000600037341L"
MOBILE = "13800138000"

PERSON: dict[str, Any] = {
    "kind": "individual",
    "name": "张三",
    "id_type": "resident_id",
    "id_number": RESIDENT_ID,
    "mobile": MOBILE,
    "email": "zhangsan@example.com",
    "social_insurance_number": RESIDENT_ID,
}
AGENT = {k: v for k, v in PERSON.items() if k != "kind"}
UNIT: dict[str, Any] = {
    "kind": "unit",
    "name": "北京某某科技有限公司",
    "uscc": USCC,
    "legal_representative": "李四",
    "social_insurance_unit_number": "11000012345",
    "agent": AGENT,
}
DEVICE: dict[str, Any] = {
    "kind": "device",
    "name": "医保结算前置机",
    "identifier": "SRV-0001",
    "owner_uscc": USCC,
}
ID_CARD = {"type": "resident_id_card", "number": RESIDENT_ID}
LICENCE = {"type": "business_licence", "number": USCC}
LETTER = {"type": "authorisation_letter", "number": "WT-2026-001"}


def application(kind: str) -> dict[str, Any]:
    subscriber, documents = {
        "individual": (PERSON, [ID_CARD]),
        "unit": (UNIT, [LICENCE, LETTER, ID_CARD]),
        "device": (DEVICE, [LICENCE]),
    }[kind]
    return copy.deepcopy(
        {
            "certificate_type": kind,
            "subscriber": subscriber,
            "documents": documents,
            "agreement": {"version": "1", "accepted": True},
            "payment": {"method": "cash", "tendered": "1000.00"},
            "key_algorithm": "ec-p256",
        }
    )


def load_toml(name: str) -> dict[str, Any]:
    with (RESOURCES / name).open("rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="session")
def fee_table() -> FeeTable:
    return FeeTable.from_mapping(load_toml("fees.toml"))


@pytest.fixture(scope="session")
def agreements() -> list[AgreementVersion]:
    data = (RESOURCES / "agreements" / "v1.zh.txt").read_bytes()
    return [AgreementVersion.from_bytes("1", data)]


@pytest.fixture(scope="session")
def items() -> dict[str, ApplicationItem]:
    return parse_application_items(load_toml("application_items.toml"))
