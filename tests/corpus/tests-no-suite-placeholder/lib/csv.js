// Rendering csv.
exports.render = (rows) => rows.map((row) => ({ kind: "csv", row }));
