"""Inventory service: the schema comes from metadata.create_all at startup."""

import json
from pathlib import Path

from sqlalchemy import Column, Integer, String, create_engine
from sqlalchemy.orm import declarative_base
from sqlalchemy.pool import NullPool

Base = declarative_base()
engine = create_engine("sqlite:///inventory.db", poolclass=NullPool)


class Item(Base):
    __tablename__ = "items"
    id = Column(Integer, primary_key=True)
    name = Column(String)


def create_schema():
    Base.metadata.create_all(engine)


def export(items, target: Path):
    target.with_suffix(".tmp").write_text(json.dumps(items), encoding="utf-8")  # expect: durability.atomic-write
    target.with_suffix(".tmp").rename(target)
