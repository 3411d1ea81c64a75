"""From a verified subscriber to the certificate subject the signing module writes.

The subject always comes from what the RA verified, never from the CSR. Personal identifiers go
into GM/T 0015 extensions, where the profile decides between the value, a salted hash or nothing.
"""

from __future__ import annotations

from counter_app.ca import SubjectInfo
from counter_app.domain.subscribers import Device, Individual, Subscriber, Unit

OID_IDENTITY_CODE = "1.2.156.10260.4.1.1"  # 个人身份标识码
OID_SOCIAL_INSURANCE = "1.2.156.10260.4.1.2"  # 个人社会保险号
OID_BUSINESS_REGISTRATION = "1.2.156.10260.4.1.3"  # 工商注册号
OID_ORGANISATION_CODE = "1.2.156.10260.4.1.4"  # 组织机构代码
OID_TAXATION = "1.2.156.10260.4.1.5"  # 税务登记号


def subject_for(
    subscriber: Subscriber,
    *,
    subscriber_ref: str,
    owner_name: str | None = None,
    items: tuple[str, ...] = (),
) -> SubjectInfo:
    """``subscriber_ref`` is the RA's own reference (no personal data) for serialNumber."""
    if isinstance(subscriber, Individual):
        identifiers = {OID_IDENTITY_CODE: subscriber.id_number}
        if subscriber.social_insurance_number:
            identifiers[OID_SOCIAL_INSURANCE] = subscriber.social_insurance_number
        return SubjectInfo(
            common_name=subscriber.name,
            serial_number=subscriber_ref,
            email=subscriber.email,
            identifiers=identifiers,
            application_items=items,
        )
    if isinstance(subscriber, Unit):
        # Since GB 32100 the USCC stands for the business registration, organisation code
        # (its characters 9 to 17) and taxation numbers alike.
        return SubjectInfo(
            common_name=subscriber.name,
            organization=subscriber.name,
            serial_number=subscriber.uscc,
            identifiers={
                OID_BUSINESS_REGISTRATION: subscriber.uscc,
                OID_ORGANISATION_CODE: subscriber.uscc[8:17],
                OID_TAXATION: subscriber.uscc,
            },
            application_items=items,
        )
    assert isinstance(subscriber, Device)
    return SubjectInfo(
        common_name=subscriber.name,
        organization=owner_name or subscriber.owner_uscc,
        serial_number=subscriber.identifier,
        application_items=items,
    )
