class StorageError(RuntimeError):  # expect: errors.error-hierarchy
    pass
