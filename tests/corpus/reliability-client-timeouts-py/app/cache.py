"""A Redis connection handed in by the caller gets a socket timeout before the worker blocks on it."""


def bound(connection, seconds):
    kwargs = connection.connection_pool.connection_kwargs
    if kwargs.get("socket_timeout") is None:
        connection.connection_pool.connection_kwargs.update({"socket_timeout": seconds})  # expect: reliability.client-timeout
    return connection


def bound_connect(connection):
    connection.connection_pool.connection_kwargs.setdefault("socket_connect_timeout", 5)  # expect: reliability.client-timeout
    return connection


def describe(connection):
    # Reading the settings changes nothing.
    return dict(connection.connection_pool.connection_kwargs)
