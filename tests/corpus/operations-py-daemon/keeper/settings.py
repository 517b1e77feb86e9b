"""Settings read from the environment and checked when the daemon starts."""

from pydantic_settings import BaseSettings


class Settings(BaseSettings):  # expect: ops.validated-config
    port: int = 7070
    data_dir: str = "/var/lib/keeper"


class Plain:
    port = 7070
