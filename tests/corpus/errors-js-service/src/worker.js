const { HttpError } = require("./http-errors");
const logger = require("./logger");

async function processAll(items, handle) {
  for (const item of items) {
    try {
      await handle(item);
    } catch (err) {
      console.error("item failed", err); // expect: observability.print-logging
    }
  }
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch { // expect: errors.swallowed-exception
  }
}

function parseOptional(text) {
  try {
    return JSON.parse(text);
  } catch {
    // not JSON: the caller treats undefined as "no options"
  }
}

async function flush(queue) {
  try {
    await queue.flush();
  } catch (e) {
    logger.warn("flush failed", e);
  }
}

async function poll(source) {
  try {
    await source.fetch();
  } catch (e) { // expect: errors.swallowed-exception
  }
}

async function fetchUser(api, id) {
  try {
    return await api.get(`/users/${id}`);
  } catch (err) {
    throw new HttpError(502, "user service failed", { cause: err }); // expect: errors.exception-chaining
  }
}

async function loadConfig(read) {
  try {
    return JSON.parse(await read());
  } catch (err) {
    throw new Error(`bad config: ${err.message}`); // keeps the message and only checks input: not flagged
  }
}

function rethrow(fn) {
  try {
    return fn();
  } catch (err) {
    logger.error("failed", err);
    throw err;
  }
}

function wrapped(fn) {
  try {
    return fn();
  } catch (err) {
    throw new HttpError(500, err);
  }
}

function noBinding(fn) {
  try {
    return fn();
  } catch {
    throw new Error("failed");
  }
}

function handled(fn) {
  try {
    return fn();
  } catch (err) {
    console.error(err);
    return { error: String(err) };
  }
}

function later(fn) {
  try {
    return fn();
  } catch (err) {
    return () => {
      throw new Error("later");
    };
  }
}

module.exports = { processAll, parse, parseOptional, flush, poll, fetchUser, loadConfig, rethrow, wrapped, noBinding, handled, later };
