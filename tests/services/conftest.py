from tests.store.conftest import db  # noqa: F401  the same database fixture as the store tests
