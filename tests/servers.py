"""Serving an ASGI app on a real loopback port for a test (one helper, shared with `sowana dev`)."""

from api.emulators.slack.serving import free_port
from api.emulators.slack.serving import serve_in_thread as serve

__all__ = ["free_port", "serve"]
