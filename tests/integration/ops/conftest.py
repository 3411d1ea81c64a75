"""Operations tests (issue 21) reuse the signing module's fixtures: an initialised CA via the CLI."""

from tests.integration.ca.conftest import ca_cli, ca_files, ca_template  # noqa: F401
