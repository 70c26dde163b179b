"""Service settings, read from the environment (prefix ``GONGZHI_``) and CLI flags.

``DATABASE_URL`` is honoured without the prefix because that is what operators and
platforms already set; everything else is namespaced.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("gongzhi", appauthor=False)) / "postgres"


def default_secret_file() -> Path:
    return Path(platformdirs.user_config_dir("gongzhi", appauthor=False)) / "jwt-secret"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GONGZHI_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "GONGZHI_DATABASE_URL"),
        description="PostgreSQL URL; unset means the embedded database in data_dir.",
    )
    data_dir: Path = Field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    port: int = 8000
    pool_min_size: int = Field(default=2, ge=1)
    pool_max_size: int = Field(default=10, ge=1)
    graphiql: bool = True
    jwt_secret: SecretStr | None = Field(
        default=None, description="HS256 signing key of bearer tokens (required in production)."
    )
    jwt_secret_file: Path = Field(default_factory=default_secret_file)
    token_ttl_hours: float = Field(default=8, gt=0)
    allow_anonymous: bool = Field(
        default=False, description="Serve requests without a token (areas only)."
    )
    production: bool = Field(
        default=False,
        description="Production mode: no GraphiQL, no introspection, a configured secret.",
    )
    compiled_reads: bool = Field(
        default=True, description="Answer compilable queries with one SQL statement."
    )
    audit_warm_start: bool = Field(
        default=True,
        description="Start the audit's Great Expectations workers with the service, so the "
        "first runAudit does not wait for them.",
    )
    max_query_depth: int = Field(default=12, ge=1)
    max_aliases: int = Field(default=30, ge=1)
    max_tokens: int = Field(default=5000, ge=1)
    max_page_size: int = Field(default=500, ge=1)
    statement_timeout: float = Field(
        default=30,
        ge=0,
        description="Seconds one SQL statement of a request may run before PostgreSQL "
        "cancels it (0: no limit).",
    )

    @model_validator(mode="after")
    def _production(self) -> Settings:
        if self.production:
            if self.jwt_secret is None:
                raise ValueError("GONGZHI_PRODUCTION needs GONGZHI_JWT_SECRET")
            self.graphiql = False
        return self

    def signing_key(self) -> str:
        from gongzhi.auth import load_secret

        configured = self.jwt_secret.get_secret_value() if self.jwt_secret else None
        return load_secret(configured, self.jwt_secret_file)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
