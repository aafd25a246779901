"""Serving an ASGI app on a real loopback port for a test (one helper, shared with `sowana dev`)."""

from bot.workspace.serving import free_port
from bot.workspace.serving import serve_in_thread as serve

__all__ = ["free_port", "serve"]
