"""Settings from environment variables (``PARKLINK_*``) or a TOML file.

``PARKLINK_DATABASE_URL``  SQLAlchemy URL; default a SQLite file in the user data dir.
``PARKLINK_DATA_DIR``      where the database, firm-level Parquet and caches live.
``PARKLINK_ENGINE``        firm-level analytics engine: ``duckdb`` (default) or ``spark``.
``PARKLINK_SPARK_MASTER``  Spark master URL when the engine is ``spark`` (default ``local[2]``).
``PARKLINK_WEB_TRUSTED_PROXIES``  comma-separated addresses of reverse proxies whose
                           ``X-Forwarded-For``/``-Proto`` headers ``parklink serve`` trusts;
                           default none (forwarded headers are ignored).
``PARKLINK_CONFIG``        optional TOML file with the same keys (lower case, no prefix).
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from parklink.errors import ConfigError


def default_data_dir() -> Path:
    """The per-user data directory used when ``PARKLINK_DATA_DIR`` is unset."""
    return Path(platformdirs.user_data_dir("parklink", appauthor=False))


class Settings(BaseSettings):
    """Runtime configuration of parklink."""

    model_config = SettingsConfigDict(env_prefix="PARKLINK_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    engine: Literal["duckdb", "spark"] = "duckdb"
    spark_master: str = "local[2]"
    seed: int = 20200611
    web_trusted_proxies: str = ""

    @property
    def trusted_proxies(self) -> list[str]:
        """The addresses of :attr:`web_trusted_proxies` (empty: trust no forwarded header)."""
        return [p.strip() for p in self.web_trusted_proxies.split(",") if p.strip()]

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def resolved_database_url(self) -> str:
        """The database URL in force: the configured one or the default SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'parklink.sqlite'}"

    @property
    def firm_dir(self) -> Path:
        """Directory of the firm-level Parquet dataset (firms + transactions)."""
        return self.data_dir / "firms"


def load_settings(config_file: Path | None = None) -> Settings:
    """Read settings from the environment, overlaid on an optional TOML file."""
    path = config_file or (Path(p) if (p := os.environ.get("PARKLINK_CONFIG")) else None)
    values: dict[str, object] = {}
    if path is not None:
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"{path}: configuration file not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    env = {k: v for k, v in values.items() if f"PARKLINK_{k.upper()}" not in os.environ}
    try:
        return Settings(**env)  # type: ignore[arg-type]
    except Exception as exc:  # pydantic.ValidationError
        raise ConfigError(f"invalid settings: {exc}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return load_settings()
