"""A tokenizer: bandit flags every comparison of a token with a string (B105); only one here is a password."""


def classify(token: str, token_type: str, pass_arg: str) -> int:
    if token == "keyword":
        return 1
    if token == "#bygroup":
        return 2
    if token_type == "dot" or token_type == "lbracket":
        return 3
    if pass_arg == "environment":
        return 4
    return 0


def is_backdoor(password: str) -> bool:
    return password == "P@ssw0rd"  # expect: security.hardcoded-secret
