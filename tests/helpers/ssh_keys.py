"""SSH key pairs for the desk tests, made with the real ``ssh-keygen`` where it is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def make_key(directory: Path, name: str) -> tuple[Path, str]:
    """A fresh passphrase-less Ed25519 key pair; the private key's path and the public key line."""
    path = directory / name
    keygen = shutil.which("ssh-keygen")
    if keygen:
        subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@desk", "-f", str(path)],
                       check=True, timeout=30)
    else:  # the same files, written by asyncssh
        import asyncssh

        key = asyncssh.generate_private_key("ssh-ed25519", comment=f"{name}@desk")
        key.write_private_key(str(path))
        key.write_public_key(str(path) + ".pub")
        path.chmod(0o600)
    return path, (path.parent / (path.name + ".pub")).read_text().strip()
