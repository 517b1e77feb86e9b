"""The JSON API."""

import os

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

api = FastAPI()
api.add_middleware(CORSMiddleware, allow_origins=["*"])  # expect: security.cors-any-origin
api.add_middleware(CORSMiddleware, allow_origins=["https://app.example.com"], allow_credentials=True)

if os.environ.get("APP_DEBUG"):
    api.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)
