"""taskstore: a small task store served over HTTP and backed by SQLite."""

__version__ = "0.3.1"
