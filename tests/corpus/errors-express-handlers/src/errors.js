function errorHandler(err, req, res, next) {
  logger.error({ err }, "request failed");
  res.status(err.status || 500).json({ error: err.message });
}

module.exports = { errorHandler };
