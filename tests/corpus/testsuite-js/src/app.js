// A plain request listener; supertest drives it without opening a port.
function app(req, res) {
  res.statusCode = req.url === "/" ? 404 : 200;
  res.end("ok");
}

module.exports = { app };
