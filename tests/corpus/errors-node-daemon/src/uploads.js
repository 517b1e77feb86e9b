// Uploading reports: failures that vanish, and failures that are recorded or expected.
const fs = require("fs/promises");
const logger = require("./logger");

async function upload(store, report) {
  try {
    await store.put(report.id, report.body);
  } catch (err) { // expect: errors.swallowed-exception
    logger.error("upload failed");
  }
}

async function uploadAll(store, reports) {
  for (const report of reports) {
    try {
      await store.put(report.id, report.body);
    } catch (err) {
      logger.error("upload failed", { id: report.id, err });
    }
  }
}

function archive(store, report) {
  store.archive(report.id).catch(() => {}); // expect: errors.swallowed-exception
  fs.unlink(report.tmpPath).catch(() => {});
}

async function checkForUpdates(client) {
  try {
    await client.latestVersion();
  } catch (_) {
    logger.info("could not check for a new version");
  }
}

async function record(db, row) {
  try {
    await db.insert("reports", row);
  } catch (e) {} // expect: errors.swallowed-exception
}

module.exports = { upload, uploadAll, archive, checkForUpdates, record };
