"""RAM's settings: the shared runtime settings under RAM's name (env vars, see ServiceSettings)."""

from msp_events.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "ram"
