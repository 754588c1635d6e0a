"""Alembic environment shared by every service (configured by msp_events.runtime.migrations)."""

from alembic import context

from msp_events.runtime.store import make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url is not None, "sqlalchemy.url is set by msp_events.runtime.migrations.alembic_config"
target_metadata = config.attributes.get("target_metadata")

if context.is_offline_mode():
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
