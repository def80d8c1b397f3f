"""A Python client for the Nox code-execution service (its HTTP API, API.md).

::

    from nox_client import NoxClient, NotFoundError

    with NoxClient("https://nox.example.org", username="alice", password="…",
                   verify="/etc/nox/tls/ca.crt") as nox:
        result = nox.exec.run("python", "print('hello')")
        print(result.status, result.stdout)
"""

__version__ = "0.1.0"

from .client import NoxClient  # noqa: E402
from .credentials import Credentials  # noqa: E402
from .errors import *  # noqa: E402,F401,F403
from .errors import __all__ as _error_names  # noqa: E402
from .errors import _REGISTRY  # noqa: E402
from .models import *  # noqa: E402,F401,F403
from .models import __all__ as _model_names  # noqa: E402
from .retry import RetryPolicy  # noqa: E402
from .sse import ServerSentEvent, SSEDecoder, iter_sse  # noqa: E402

#: API error code → exception class.
ERROR_CLASSES = dict(_REGISTRY)

__all__ = [
    "__version__", "NoxClient", "Credentials", "RetryPolicy", "ERROR_CLASSES", "ServerSentEvent", "SSEDecoder",
    "iter_sse", *_error_names, *_model_names,
]
