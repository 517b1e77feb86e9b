export class AppError extends Error { // expect: errors.error-hierarchy
  status = 500;
}

export class NotFoundError extends AppError {
  status = 404;
}

export class ConflictError extends AppError {
  status = 409;
}

export class ValidationFailure extends Error {}

export class FieldMissing extends ValidationFailure {}

export class Emitter extends EventTarget {}

export class Child extends Emitter {}

export class Other extends Emitter {}
