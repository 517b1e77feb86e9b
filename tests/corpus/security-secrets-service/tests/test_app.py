import os
import secrets

SECRET = os.environ.get("TEST_APP_SECRET") or secrets.token_hex(32)


async def test_body(receive):
    body = b""
    while True:
        message = await receive()
        body += message["body"]
        if not message.get("more_body"):
            break
    assert body
