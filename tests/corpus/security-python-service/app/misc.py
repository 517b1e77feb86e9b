"""Other things bandit knows about."""

import os
import socket
import ssl
import tempfile
import xml.etree.ElementTree as ET

import paramiko
from jinja2 import Environment

REPORT_DIR = "/tmp/reports"  # expect: security.bandit
HOST = "0.0.0.0"


def render(template: str, **values: str) -> str:
    return Environment(autoescape=False).from_string(template).render(**values)  # expect: security.bandit-high


def share(path: str) -> None:
    os.chmod(path, 0o777)  # expect: security.bandit-high


def legacy_tls(sock: socket.socket) -> ssl.SSLSocket:
    return ssl.wrap_socket(sock, ssl_version=ssl.PROTOCOL_SSLv3)  # expect: security.bandit-high


def scratch_file() -> str:
    return tempfile.mktemp(suffix=".csv")  # expect: security.bandit


def parse_feed(data: str) -> ET.Element:
    return ET.fromstring(data)  # expect: security.bandit


def trust_everyone(client: paramiko.SSHClient) -> None:
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # expect: security.bandit


def must(value: object) -> object:
    assert value is not None
    return value
