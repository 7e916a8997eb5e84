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


def make_server_cert(d: Path) -> None:
    """``make_ca`` plus server.crt/server.key for 127.0.0.1 signed by it (a TLS broker on loopback)."""
    if not (d / "ca.crt").exists():
        make_ca(d)

    def ssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)

    ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "server.key", "-out", "server.csr")
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "san.ext", "-out", "server.crt")
