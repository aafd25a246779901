"""The local Slack workspace: Slack's Web API, interactivity and a Slack-like page, on loopback."""

from api.emulators.slack.config import RateLimit, SlashCommand, WorkspaceChannel, WorkspaceConfig, WorkspaceUser
from api.emulators.slack.server import create_workspace_app, set_request_url

__all__ = [
    "RateLimit",
    "SlashCommand",
    "WorkspaceChannel",
    "WorkspaceConfig",
    "WorkspaceUser",
    "create_workspace_app",
    "set_request_url",
]
