"""Key generation and CSR signing on a SoftHSM2 token, per algorithm (median of N).

Beside each figure: the same operation done by ``cryptography`` in memory in the same run (the
machine's raw limit without a token in the way).

    .venv/bin/python bench/token_keygen.py [-n 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

NAME = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "bench")])


def median_ms(samples: list[float]) -> str:
    med, low, high = (x * 1000 for x in (statistics.median(samples), min(samples), max(samples)))
    return f"{med:9.2f} ms (min {low:.2f}, max {high:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=20)
    args = parser.parse_args()
    from benchlib import init_softhsm_token, private_softhsm

    private_softhsm("bench-token-")
    init_softhsm_token("BENCH")

    from counter_app.config import default_pkcs11_module
    from counter_app.token import build_csr, key_spec, open_token

    module = default_pkcs11_module()
    print(f"SoftHSM2 token ({module}), median of {args.n}")
    with open_token(module, label="BENCH").login("123456") as ts:
        for algorithm in ("ec-p256", "rsa-2048", "rsa-3072"):
            gen, sign = [], []
            n = args.n if algorithm != "rsa-3072" else max(3, args.n // 4)
            for i in range(n):
                start = time.perf_counter()
                key = ts.generate_key_pair(key_spec(algorithm), f"b{i}")
                gen.append(time.perf_counter() - start)
                start = time.perf_counter()
                build_csr(key, NAME)
                sign.append(time.perf_counter() - start)
                ts.delete_key_pair(key.key_id)
            print(f"  {algorithm:9s} keygen {median_ms(gen)}   CSR sign {median_ms(sign)}")
    raw()


def raw() -> None:
    print("raw peer (cryptography in memory, same machine, same run):")
    for label, make, n in (
        ("ec-p256", lambda: ec.generate_private_key(ec.SECP256R1()), 20),
        ("rsa-2048", lambda: rsa.generate_private_key(65537, 2048), 10),
        ("rsa-3072", lambda: rsa.generate_private_key(65537, 3072), 5),
    ):
        gen, sign = [], []
        for _ in range(n):
            start = time.perf_counter()
            key = make()
            gen.append(time.perf_counter() - start)
            start = time.perf_counter()
            x509.CertificateSigningRequestBuilder().subject_name(NAME).sign(key, hashes.SHA256())
            sign.append(time.perf_counter() - start)
        print(f"  {label:9s} keygen {median_ms(gen)}   CSR sign {median_ms(sign)}")


if __name__ == "__main__":
    main()
