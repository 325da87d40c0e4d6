#!/usr/bin/env bash
# Install LibreOffice Calc (headless) and its Python-UNO binding, which
# sheetnet.libreoffice drives to recalculate workbooks with a real spreadsheet
# application.  Idempotent: does nothing when both are already there.
# Debian/Ubuntu (apt) only.
set -euo pipefail

SOFFICE=/usr/bin/soffice
LO_PYTHON=/usr/bin/python3
PACKAGES=(libreoffice-calc-nogui python3-uno)

have_lo() {
    [ -x "$SOFFICE" ] && [ -x "$LO_PYTHON" ] && "$LO_PYTHON" -I -c 'import uno' >/dev/null 2>&1
}

if have_lo; then
    echo "LibreOffice is already installed: $("$SOFFICE" --version 2>/dev/null | head -n1 || echo "$SOFFICE"); $LO_PYTHON can import uno."
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: apt-get not found; install LibreOffice Calc and python3-uno with your package manager" >&2
    echo "       (sheetnet expects $SOFFICE and a $LO_PYTHON that can 'import uno';" >&2
    echo "        set SHEETNET_SOFFICE / SHEETNET_LO_PYTHON to use other paths)." >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "error: installing ${PACKAGES[*]} needs root, and sudo is not available;" >&2
    echo "       run this script as root." >&2
    exit 1
fi

echo "Installing ${PACKAGES[*]} ..."
${SUDO[@]+"${SUDO[@]}"} apt-get update
${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${PACKAGES[@]}"

if have_lo; then
    echo "LibreOffice installed: $("$SOFFICE" --version 2>/dev/null | head -n1 || echo "$SOFFICE"); $LO_PYTHON can import uno."
else
    echo "error: installation finished, but $SOFFICE is missing or $LO_PYTHON cannot import uno." >&2
    exit 1
fi
