import secrets


class App:
    def __init__(self, secret: str | None = None) -> None:
        self._secret = secret or secrets.token_hex(32)  # expect: security.ephemeral-signing-secret
        self._root_token = secrets.token_hex(32)

    def signer(self) -> str:
        return self._secret
