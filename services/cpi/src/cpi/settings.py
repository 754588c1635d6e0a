"""CPI's settings: the shared runtime settings under CPI's name (env vars, see ServiceSettings)."""

from msp_events.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "cpi"
