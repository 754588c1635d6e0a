"""SPO's settings: the shared runtime settings under SPO's name (env vars, see ServiceSettings)."""

from msp_events.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "spo"
