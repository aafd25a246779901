"""Runtime settings, read from the environment (and `.env`) with the names of DESIGN.md.

A wrong value stops start-up with one line naming the variable (see `load_settings`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated
from urllib.parse import urlparse

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    slack_bot_token: str | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN", repr=False)
    slack_signing_secret: str | None = Field(default=None, validation_alias="SLACK_SIGNING_SECRET", repr=False)
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")
    review_channel: str | None = Field(default=None, validation_alias="SOWANA_REVIEW_CHANNEL")
    sac_channel: str | None = Field(default=None, validation_alias="SOWANA_SAC_CHANNEL")
    database_url: str = Field(default="sqlite:///./sowana.db", validation_alias="SOWANA_DATABASE_URL")
    chroma_path: str = Field(default="./chroma", validation_alias="SOWANA_CHROMA_PATH")
    chroma_url: str | None = Field(default=None, validation_alias="SOWANA_CHROMA_URL")
    llm: str = Field(default="offline", validation_alias="SOWANA_LLM")
    api_token: str | None = Field(default=None, validation_alias="SOWANA_API_TOKEN", repr=False)
    approvers: CsvList = Field(default_factory=list, validation_alias="SOWANA_APPROVERS")
    meta_app_secret: str | None = Field(default=None, validation_alias="META_APP_SECRET", repr=False)
    meta_verify_token: str | None = Field(default=None, validation_alias="META_VERIFY_TOKEN", repr=False)
    meta_page_token: str | None = Field(default=None, validation_alias="META_PAGE_TOKEN", repr=False)
    meta_graph_url: str = Field(default="https://graph.facebook.com/v21.0", validation_alias="META_GRAPH_URL")
    meta_page_ids: CsvList = Field(default_factory=list, validation_alias="META_PAGE_IDS")
    x_consumer_secret: str | None = Field(default=None, validation_alias="X_CONSUMER_SECRET", repr=False)
    x_bearer_token: str | None = Field(default=None, validation_alias="X_BEARER_TOKEN", repr=False)
    x_api_url: str = Field(default="https://api.x.com/2", validation_alias="X_API_URL")
    # The brand's own X account (numeric id): mentions are polled for it and its own posts are skipped.
    x_user_id: str | None = Field(default=None, validation_alias="X_USER_ID")
    x_poll_seconds: float = Field(default=60.0, gt=0, validation_alias="SOWANA_X_POLL_SECONDS")
    # How many distinct approvers a creative (witty) reply needs before it is published (1 or 2).
    creative_approvals: int = Field(default=1, ge=1, le=2, validation_alias="SOWANA_CREATIVE_APPROVALS")
    brands_file: str | None = Field(default=None, validation_alias="SOWANA_BRANDS_FILE")
    worker_poll_seconds: float = Field(default=0.5, gt=0, validation_alias=AliasChoices("SOWANA_WORKER_POLL_SECONDS"))

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

    @field_validator("approvers", "meta_page_ids", mode="before")
    @classmethod
    def _csv(cls, value: object) -> list[str]:
        return _split_csv(value)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"is not a SQLAlchemy URL: {value!r}") from exc
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

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class SettingsError(Exception):
    """A configuration value is wrong; the message is one line naming the variable."""


def _env_name(loc: tuple[int | str, ...]) -> str:
    field = str(loc[0]) if loc else "?"
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    if isinstance(alias, str):
        return alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return field


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
