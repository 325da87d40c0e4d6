import os

import pytest

from sheetnet import libreoffice as _libreoffice


@pytest.fixture(scope="session")
def libreoffice():
    """The sheetnet.libreoffice module, once LibreOffice is known to work.

    Missing LibreOffice skips the test, except under CI=true where it fails
    loudly (install it with scripts/install-libreoffice.sh).
    """
    ok, why = _libreoffice.available()
    if not ok:
        if os.environ.get("CI") == "true":
            pytest.fail(f"LibreOffice is required when CI=true: {why}", pytrace=False)
        pytest.skip(f"LibreOffice not available: {why}")
    return _libreoffice
