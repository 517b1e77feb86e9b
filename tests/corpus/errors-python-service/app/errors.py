"""The project's exceptions."""


class AppError(Exception):  # expect: errors.error-hierarchy
    status = 500


class NotFound(AppError):
    status = 404


class Conflict(AppError):
    status = 409


class Lonely(Exception):
    """Only one subclass: not a hierarchy."""


class OnlyChild(Lonely):
    pass


class Base:
    pass


class Left(Base):
    pass


class Right(Base):
    pass
