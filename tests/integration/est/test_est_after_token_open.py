"""A counter process that opens tokens between requests to the signing service (the GUI does,
service after service) keeps talking to it.

Found by bench/counters.py: SoftHSM leaves an error on the thread's OpenSSL error queue when a
token is opened, and the next read on a kept-alive TLS connection failed with it
("[ENGINE: NO_SUCH_ENGINE] no such engine").
"""

from __future__ import annotations

from counter_app.services.est_client import ESTSettings, ESTSigning
from counter_app.token import open_token
from tests.conftest import SoftHSM
from tests.integration.est.conftest import CLIENT_PASS, Service


def test_est_requests_succeed_after_a_token_is_opened_in_the_same_process(
    service: Service, softhsm: SoftHSM
) -> None:
    softhsm.init_token("T1")
    pki = service.pki
    client = ESTSigning(
        ESTSettings(service.url, pki.client_cert, pki.client_key, pki.trust), lambda: CLIENT_PASS
    )
    try:
        first = client.chain()
        for _ in range(3):
            open_token(softhsm.module, label="T1")
            assert client.chain() == first
    finally:
        client.close()
