"""Configuration of the local Slack workspace: who is in it, which channels, where the bot listens."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class WorkspaceUser:
    id: str
    name: str  # handle, e.g. "camille"
    real_name: str  # shown in the page, e.g. "Camille (CM)"
    title: str = ""
    is_bot: bool = False
    is_admin: bool = False
    tz: str = "America/Toronto"
    color: str = "4a154b"  # avatar colour in the page (hex, no '#')
    email: str = ""  # shown by Sign in with Slack (`email` scope); default: <name>@<team domain>.example
    # A member of another workspace (Slack Connect): signs in with that team's id. None = this workspace.
    team_id: str | None = None


@dataclass(frozen=True)
class WorkspaceChannel:
    id: str
    name: str  # without '#', e.g. "sowana-review"
    topic: str = ""
    purpose: str = ""
    is_private: bool = False


@dataclass(frozen=True)
class RateLimit:
    """Token bucket per channel for chat.postMessage (Slack: about one message a second, short bursts)."""

    enabled: bool = True
    per_second: float = 1.0
    burst: int = 4


@dataclass(frozen=True)
class SlashCommand:
    command: str  # e.g. "/persona"
    description: str = ""
    usage_hint: str = ""


def _default_users() -> tuple[WorkspaceUser, ...]:
    return (
        WorkspaceUser("U0CM", "camille", "Camille (CM)", "Community manager", color="1264a3"),
        WorkspaceUser("U0SAC", "sami", "Sami (SAC)", "Service à la clientèle", color="2eb67d"),
        WorkspaceUser("U0GUEST", "gabriel", "Gabriel (stagiaire)", "Stagiaire", color="e8912d"),
    )


def _default_channels() -> tuple[WorkspaceChannel, ...]:
    return (
        WorkspaceChannel("C0REVIEW", "sowana-review", topic="Commentaires à approuver · Comments to review"),
        WorkspaceChannel("C0SAC", "sowana-sac", topic="Cas escaladés au service client · Escalated cases"),
    )


def _default_commands() -> tuple[SlashCommand, ...]:
    return (
        SlashCommand("/persona", "Show or switch this channel's persona", "[list | <name>]"),
        SlashCommand("/sowana", "Sowana help, stats and knowledge search", "[help | stats | kb <question>]"),
    )


@dataclass(frozen=True)
class WorkspaceConfig:
    """Everything the workspace needs; the defaults give a ready-to-use local team."""

    bot_token: str = "xoxb-local-sowana-0000000000"
    signing_secret: str = "local-signing-secret-change-me"
    # Where events, interactivity and slash commands are POSTed (Bolt's `/slack/events`); None = nowhere.
    request_url: str | None = "http://127.0.0.1:8000/slack/events"
    team_id: str = "T0SOWANA"
    team_name: str = "Sowana (local)"
    team_domain: str = "sowana-local"
    app_id: str = "A0SOWANA"
    bot_user: WorkspaceUser = WorkspaceUser("U0BOT", "sowana", "Sowana", "App", is_bot=True, color="611f69")
    bot_id: str = "B0SOWANA"
    users: tuple[WorkspaceUser, ...] = field(default_factory=_default_users)
    channels: tuple[WorkspaceChannel, ...] = field(default_factory=_default_channels)
    # User groups ("subteams"): id -> (handle, member ids).
    usergroups: dict[str, tuple[str, tuple[str, ...]]] = field(
        default_factory=lambda: {"S0APPROVERS": ("approvers", ("U0CM", "U0SAC"))}
    )
    commands: tuple[SlashCommand, ...] = field(default_factory=_default_commands)
    # Event types delivered to the bot (those of the app manifest). Bot's own messages are never sent.
    events: tuple[str, ...] = ("message", "reaction_added", "reaction_removed", "app_mention")
    rate_limit: RateLimit = RateLimit()
    api_prefix: str = "/api"
    ack_timeout_s: float = 3.0  # Slack waits 3 s for an HTTP answer
    trigger_ttl_s: float = 3.0  # a trigger_id is valid 3 s
    # Slack retries a failed event nearly at once, after 1 min, after 5 min. Tests shorten these.
    event_retry_delays_s: tuple[float, ...] = (0.5, 60.0, 300.0)
    response_url_uses: int = 5
    response_url_ttl_s: float = 30 * 60
    # Sign in with Slack (OpenID Connect, api/emulators/slack/openid.py): the app's credentials, and the
    # redirect URLs it accepts (a redirect_uri must start with one; empty = any).
    client_id: str = "1000000000.2000000000001"
    client_secret: str = "local-client-secret-change-me"
    redirect_urls: tuple[str, ...] = ()
    oauth_code_ttl_s: float = 600.0  # Slack's codes expire after 10 minutes

    def app_settings(self, url: str) -> dict[str, str]:
        """The Slack settings (`bot.settings` names) of an app that talks to this workspace served at `url`."""
        return {
            "slack_bot_token": self.bot_token,
            "slack_signing_secret": self.signing_secret,
            "slack_api_url": f"{url}{self.api_prefix}/",
        }

    def user(self, user_id: str) -> WorkspaceUser | None:
        if user_id == self.bot_user.id:
            return self.bot_user
        return next((u for u in self.users if u.id == user_id), None)

    def channel(self, channel_id: str) -> WorkspaceChannel | None:
        return next((c for c in self.channels if c.id == channel_id), None)

    def channel_by_ref(self, ref: str) -> WorkspaceChannel | None:
        """Slack accepts a channel id or '#name' / 'name' in chat.postMessage."""
        found = self.channel(ref)
        if found:
            return found
        name = ref.removeprefix("#")
        return next((c for c in self.channels if c.name == name), None)

    def all_users(self) -> tuple[WorkspaceUser, ...]:
        return (*self.users, self.bot_user)
