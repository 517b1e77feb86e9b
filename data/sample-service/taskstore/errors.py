"""Exception hierarchy. Every error the service raises on purpose derives from
TaskStoreError; the HTTP layer turns these into JSON error responses."""


class TaskStoreError(Exception):
    status = 500
    code = "internal_error"


class ValidationError(TaskStoreError):
    status = 400
    code = "invalid_request"


class AuthError(TaskStoreError):
    status = 401
    code = "unauthorized"


class NotFoundError(TaskStoreError):
    status = 404
    code = "not_found"


class RateLimitedError(TaskStoreError):
    status = 429
    code = "rate_limited"


class NotifyError(TaskStoreError):
    status = 502
    code = "webhook_failed"


class StorageError(TaskStoreError):
    status = 503
    code = "storage_unavailable"


class ConfigError(TaskStoreError):
    code = "bad_config"
