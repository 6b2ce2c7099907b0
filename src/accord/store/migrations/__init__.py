"""Alembic migrations, run programmatically by :func:`accord.store.migrate.upgrade`."""
