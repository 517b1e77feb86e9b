"""Database engine and sessions."""

import os

from psycopg_pool import ConnectionPool
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

URL = os.environ.get("DATABASE_URL", "postgresql+psycopg://shop@localhost/shop")
engine = create_engine(URL, pool_size=10, pool_pre_ping=True)  # expect: durability.connection-pool, reliability.db-no-timeout
Session = sessionmaker(bind=engine)
raw_pool = ConnectionPool(conninfo=URL, min_size=1, max_size=5)  # expect: durability.connection-pool
