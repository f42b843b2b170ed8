"""Resolving device passwords from the site map's credential sources.

Passwords are read at the moment they are needed and never logged, stored or
put in an error message: errors name the credential and the source only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from site_map.model import Credential


class CredentialError(Exception):
    """A credential's password cannot be read (message names no secret)."""


def resolve_password(
    name: str, credential: Credential, base_dir: Path, environ: Mapping[str, str] | None = None
) -> str:
    env = os.environ if environ is None else environ
    if credential.password is not None:
        return credential.password.get_secret_value()
    if credential.password_env:
        value = env.get(credential.password_env)
        if value is None:
            raise CredentialError(
                f"credentials '{name}': environment variable {credential.password_env} is not set"
            )
        return value
    assert credential.password_file is not None
    path = Path(credential.password_file)
    if not path.is_absolute():
        path = base_dir / path
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise CredentialError(
            f"credentials '{name}': cannot read password file {path}: {exc.strerror}"
        ) from None
