"""``python -m spo serve|migrate``."""

from msp_events.runtime.cli import service_cli

from spo.app import create_app, create_service

service_cli(create_service, create_app)
