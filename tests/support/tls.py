"""A throwaway certificate authority for tests that load TLS files (edge.toml checks them on load)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def make_ca(d: Path) -> Path:
    """``d``/ca.crt and ca.key: a self-signed P-256 certificate and its key (also usable as a client pair)."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "2", "-subj", "/CN=heatwatch test CA", "-keyout", "ca.key", "-out", "ca.crt"],
                   check=True, capture_output=True, cwd=d)
    return d / "ca.crt"
