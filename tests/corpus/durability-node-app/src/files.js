const fs = require("fs");
const path = require("path");

function saveState(statePath, state) {
  fs.writeFileSync(statePath, JSON.stringify(state)); // expect: durability.non-atomic-write
}

async function saveConfig(configFile, text) {
  await fs.promises.writeFile(configFile, text, "utf8"); // expect: durability.non-atomic-write
}

function saveAtomic(target, data) {
  const tmp = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);  // expect: durability.atomic-write
  fs.renameSync(tmp, target);
}

function writeDebugLog(text) {
  fs.writeFileSync(path.join(__dirname, "debug.log"), text);
}

function appendLine(file, line) {
  fs.appendFileSync(file, `${line}\n`);
}

function increment(file) {
  const data = JSON.parse(fs.readFileSync(file, "utf8")); // expect: durability.read-modify-write-without-lock
  data.count += 1;
  fs.writeFileSync(file, JSON.stringify(data)); // expect: durability.non-atomic-write
}

async function incrementLocked(file, lockfile) {
  const release = await lockfile.lock(file);
  try {
    const data = JSON.parse(await fs.promises.readFile(file, "utf8"));
    data.count += 1;
    await fs.promises.writeFile(file, JSON.stringify(data)); // expect: durability.non-atomic-write
  } finally {
    await release();
  }
}

module.exports = { saveState, saveConfig, saveAtomic, writeDebugLog, appendLine, increment, incrementLocked };
