"""Alembic environment for SleepCoT, configured in code: `Store.migrate()` builds the Config and passes
its open connection in `config.attributes["connection"]`; no alembic.ini is involved."""

from alembic import context

from sleepcot.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
