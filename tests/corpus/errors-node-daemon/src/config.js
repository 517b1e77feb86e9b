// Reading settings: errors translated, dropped, or carried over.
const fs = require("fs");

function readSettings(path) {
  try {
    return fs.readFileSync(path, "utf8");
  } catch (err) {
    throw new Error("Unable to read the settings file"); // expect: errors.reraise-without-cause
  }
}

function copySnapshot(from, to) {
  try {
    fs.copyFileSync(from, to);
  } catch (e) {
    throw new Error("Unable to copy the snapshot"); // expect: errors.reraise-without-cause
  }
}

async function loadRemote(client, key) {
  try {
    return await client.get(key);
  } catch (error) {
    throw new RemoteError(`cannot load ${key}`); // expect: errors.reraise-without-cause
  }
}

function readOptional(path) {
  try {
    return fs.readFileSync(path, "utf8");
  } catch (err) {
    if (err.code === "ENOENT") throw new MissingSettings(path);
    throw err;
  }
}

function parseHeaders(text) {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error("Headers are not valid JSON");
  }
}

function openStore(path, open) {
  try {
    return open(path);
  } catch (err) {
    throw new StoreError(`cannot open ${path}`, { cause: err }); // expect: errors.exception-chaining
  }
}

function wrap(task) {
  try {
    return task();
  } catch (err) {
    throw new TaskError("task failed", err);
  }
}

module.exports = { readSettings, copySnapshot, loadRemote, readOptional, parseHeaders, openStore, wrap };
