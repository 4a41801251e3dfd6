from tests.store.conftest import db, sqlite_db  # noqa: F401  the store tests' database fixtures
