"""The deployment guide works as written (issue 21, item 6): ``scripts/deploy-demo`` builds the
guide's two-counter deployment on this machine (PostgreSQL with TLS and verify-full, the signing
host with its CA keys in SoftHSM, est serve, serve, two counters), enrolls on one counter,
suspends from the other, and checks the hold on the first counter and by ``openssl ocsp`` and the
CRL, through nginx as section 4 prescribes.
About 100 s on the 2-core build machine."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conftest import REPO, base_env


def test_deploy_demo_builds_the_guides_deployment(tmp_path: Path) -> None:
    # Outside pytest's root-only temp tree: the database server runs as the postgres user.
    work = Path(tempfile.mkdtemp(prefix="counter-deploy-"))
    try:
        env = base_env(tmp_path)
        env.pop("COUNTER_APP_TEST_KDF_ITERATIONS", None)  # the guide's production key settings
        env["COUNTER_APP_BIN"] = str(Path(sys.executable).parent)
        done = subprocess.run(
            [str(REPO / "scripts" / "deploy-demo"), str(work)],
            capture_output=True, text=True, env=env, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        lines = done.stdout.splitlines()
        assert lines[-1] == f"deployment works: {work}"
        assert "counter-01 sees on_hold" in lines
        assert "Response verify OK" in lines
        assert "CRL verify OK" in lines
        # scripts/test installs nginx, so the guide's front runs as written (section 4).
        assert "OCSP, CRL and CA certificates through nginx" in lines
        assert "Traceback" not in done.stderr
        assert not any(line.startswith(("ERROR", "WARN")) for line in lines)
    finally:
        shutil.rmtree(work, ignore_errors=True)
