// Process-level handlers of a Node service.
const logger = require("./logger");
const { shutdown, recover } = require("./lifecycle");

const onUnexpected = (error) => {
  logger.error("unexpected error", error);
  Reporter.errorLog(error);
};
process.addListener("unhandledRejection", onUnexpected); // one policy with the next line: reported there
process.addListener("uncaughtException", onUnexpected); // expect: errors.uncaught-exception-continues

process.on("uncaughtException", function (err) { // expect: errors.uncaught-exception-continues
  logger.error({ err }, "uncaught");
});

process.on("uncaughtException", (err) => {
  logger.fatal({ err }, "crashing");
  process.exit(1);
});

process.on("unhandledRejection", (reason) => {
  shutdown(reason);
});

process.on("unhandledRejection", (reason) => { // expect: errors.uncaught-exception-continues
  recover(reason);
});
