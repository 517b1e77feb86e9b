// A line-based TCP metrics listener, a management console and a forwarder.
const net = require("net");
const tls = require("tls");
const dgram = require("dgram");
const logger = require("./logger");
const { attachSession } = require("./session");

const servers = [];
process.on("SIGTERM", () => { // expect: shutdown.signal-handler
  servers.forEach((server) => server.close());
  process.exitCode = 0;
});

function Source(stream) {
  this.address = stream.remoteAddress;
}

exports.listen = function (port, onLine) {
  const server = net.createServer(function (stream) { // expect: errors.socket-without-error-listener
    stream.setEncoding("ascii");
    stream.on("data", (data) => onLine(data, new Source(stream)));
  });
  server.listen(port);
  return server;
};

exports.console = function (port, onCommand) {
  const server = net.createServer((socket) => {
    socket.on("data", (data) => onCommand(String(data), socket));
    socket.on("error", (err) => {
      logger.warn("console client failed", err);
      socket.destroy();
    });
  });
  server.listen(port);
};

exports.secureConsole = function (options, port) {
  const server = tls.createServer(options, (socket) => { // expect: errors.socket-without-error-listener
    socket.write("ready\n");
    socket.on("end", () => logger.info("bye"));
  });
  server.listen(port);
};

exports.sessions = function (port) {
  net.createServer((socket) => attachSession(socket)).listen(port); // expect: errors.socket-without-error-listener
};

exports.healthcheck = function (host, port, done) {
  const client = net.connect({ host, port }, () => client.write("health\n"));
  client.on("data", (data) => done(String(data).includes("up")));
  client.on("error", () => done(false));
};

exports.forwarder = function (host) {
  const relay = net.createConnection(2003, host); // expect: errors.socket-without-error-listener
  relay.on("connect", () => logger.info("relay up"));
  return (line) => relay.write(line);
};

exports.udpRelay = function (targets) {
  const out = dgram.createSocket("udp4"); // expect: errors.socket-without-error-listener
  return (msg) => targets.forEach((t) => out.send(msg, 0, msg.length, t.port, t.host));
};

exports.udpListener = function (port, onPacket) {
  const inbound = dgram.createSocket("udp4", onPacket);
  inbound.bind(port);
};

exports.chained = function (host) {
  return net.connect(443, host).on("connect", () => logger.info("up")).on("error", (err) => logger.warn(err));
};
