"""Database clients with and without timeouts."""

import os
import sqlite3

import psycopg
import psycopg2
import pymongo
import redis
from sqlalchemy import create_engine

pg = psycopg2.connect(os.environ["DATABASE_URL"])  # expect: reliability.db-no-timeout
pg_bounded = psycopg2.connect(os.environ["DATABASE_URL"], connect_timeout=5)
pg_statement = psycopg.connect("dbname=app", options="-c statement_timeout=5000")
pg_dsn = psycopg.connect("dbname=app connect_timeout=3")
pg3 = psycopg.connect("dbname=app user=app")  # expect: reliability.db-no-timeout

engine = create_engine("postgresql+psycopg://app@db/app")  # expect: reliability.db-no-timeout, durability.connection-pool
engine_bounded = create_engine("postgresql+psycopg://app@db/app", connect_args={"connect_timeout": 5})  # expect: durability.connection-pool
engine_pool = create_engine(os.environ["DATABASE_URL"], pool_timeout=10)  # expect: durability.connection-pool
engine_local = create_engine("sqlite:///local.db")  # expect: durability.connection-pool

mongo = pymongo.MongoClient(os.environ["MONGO_URL"])  # expect: reliability.db-no-timeout
mongo_bounded = pymongo.MongoClient(os.environ["MONGO_URL"], serverSelectionTimeoutMS=2000, socketTimeoutMS=5000)
mongo_uri = pymongo.MongoClient("mongodb://db:27017/?socketTimeoutMS=5000")

cache = redis.Redis(host="cache", port=6379)  # expect: reliability.db-no-timeout
cache_bounded = redis.Redis(host="cache", port=6379, socket_timeout=1.0, socket_connect_timeout=1.0)
cache_url = redis.from_url(os.environ["REDIS_URL"])  # expect: reliability.db-no-timeout
cache_pool = redis.ConnectionPool(host="cache", socket_timeout=1.0)  # expect: durability.connection-pool
cache_from_pool = redis.Redis(connection_pool=cache_pool)

local = sqlite3.connect("local.db")


def connect(**settings):
    return psycopg2.connect(**settings)
