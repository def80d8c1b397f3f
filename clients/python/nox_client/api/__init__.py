"""The API groups a :class:`~nox_client.NoxClient` offers, one per part of API.md."""

from .admin import AdminAPI
from .auth import AuthAPI, KeysAPI
from .backups import BackupsAPI
from .exec import ExecAPI
from .files import FilesAPI
from .metrics import MetricsAPI

__all__ = ["AdminAPI", "AuthAPI", "BackupsAPI", "ExecAPI", "FilesAPI", "KeysAPI", "MetricsAPI"]
