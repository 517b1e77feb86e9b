MAX_BODY = 1024 * 1024


class Request:
    def __init__(self, scope: dict, receive) -> None:
        self.scope = scope
        self.receive = receive

    async def post_body(self) -> bytes:
        body = b""
        more_body = True
        while more_body:
            message = await self.receive()
            body += message.get("body", b"")  # expect: security.unbounded-request-body
            more_body = message.get("more_body", False)
        return body

    async def bounded_body(self) -> bytes:
        body = b""
        while True:
            message = await self.receive()
            body += message.get("body", b"")
            if len(body) > MAX_BODY:
                raise ValueError("request body too large")
            if not message.get("more_body"):
                return body


async def upload(request) -> bytes:
    chunks = []
    async for chunk in request.stream():
        chunks.append(chunk)  # expect: security.unbounded-request-body
    return b"".join(chunks)
