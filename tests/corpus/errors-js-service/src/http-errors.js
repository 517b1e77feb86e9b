class HttpError extends Error { // expect: errors.error-hierarchy
  constructor(status, message, options) {
    super(message, options);
    this.status = status;
  }
}

class BadRequest extends HttpError {}
class Unauthorized extends HttpError {}

module.exports = { HttpError, BadRequest, Unauthorized };
