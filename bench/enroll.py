"""Median wall time of a whole enrollment on SoftHSM2, per key algorithm, with each step's time.

No human time: the services are called in-process with the PIN and operators given. Each run
gets a freshly formatted token (formatting is not timed). Prints the median of N runs beside
the raw cost of the two expensive parts measured in the same run: a key pair made on the token
and a P-256 certificate signed by the CA key alone.

    .venv/bin/python bench/enroll.py [-n 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STEPS = ("validate+record", "key_generated", "issued", "written", "done")


def main() -> None:
    from benchlib import bench_ca, init_softhsm_token, private_softhsm

    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=15)
    args = parser.parse_args()
    tmp = private_softhsm("bench-enroll-")

    from counter_app.config import load_config
    from counter_app.domain.operators import Role
    from counter_app.services import operators
    from counter_app.services.context import ServiceContext
    from counter_app.services.enroll import EnrollRequest, enroll
    from counter_app.services.pipeline import Operators
    from counter_app.services.signing import LocalSigning
    from counter_app.services.tokens import TokenChoice

    ca, store = bench_ca(tmp / "data", "bench-Passphrase-1")
    config = load_config(data_dir=tmp / "data", environ={})
    admin = operators.create_first_admin(store, "admin", "Adm1n-pass")
    clerk = operators.add_operator(store, admin, "clerk", Role.CLERK, "Clerk-pass1")
    reviewer = operators.add_operator(store, admin, "rev", Role.REVIEWER, "Review-pass1")

    marks: list[tuple[str, float]] = []

    class TimedContext(ServiceContext):
        def step_done(self, step: str) -> None:
            marks.append((step, time.perf_counter()))

    ctx = TimedContext(config=config, store=store, signing_factory=lambda: LocalSigning(ca))
    data = json.loads(
        (REPO / "resources/examples/enroll-individual.json").read_text(encoding="utf-8")
    )
    print(f"enrollment on SoftHSM2, median of {args.n} (seconds)")
    for algorithm in ("ec-p256", "rsa-2048"):
        data["key_algorithm"] = algorithm
        totals, per_step = [], {s: [] for s in STEPS}
        for i in range(args.n):
            label = f"B{algorithm[:3]}{i}"
            init_softhsm_token(label)
            marks.clear()
            start = time.perf_counter()
            # One example subscriber enrolled again and again: each is an approved extra one.
            request = EnrollRequest.parse(
                ctx, data, token=TokenChoice(label), pin="123456", additional_certificate=True
            )
            enroll(ctx, request, Operators(maker=clerk, second=reviewer))
            end = time.perf_counter()
            totals.append(end - start)
            previous = start
            names = dict(
                zip(("recorded", "key_generated", "issued", "written"), STEPS[:4], strict=True)
            )
            for step, at in marks:
                per_step[names.get(step, step)].append(at - previous)
                previous = at
            per_step["done"].append(end - previous)
        steps = "  ".join(
            f"{s}={statistics.median(v) * 1000:.1f}ms" for s, v in per_step.items() if v
        )
        print(f"  {algorithm:9s} total {statistics.median(totals):.3f}  ({steps})")
    raw_ca(ca)


def raw_ca(ca: object) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "raw")])
    now = __import__("datetime").datetime.now(__import__("datetime").UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now)
    )
    start = time.perf_counter()
    for _ in range(200):
        builder.sign(key, hashes.SHA256())
    print(
        f"  raw peer: cryptography signs a P-256 certificate in {(time.perf_counter() - start) / 200 * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()
