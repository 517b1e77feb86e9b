// Rendering totals.
exports.render = (rows) => rows.map((row) => ({ kind: "totals", row }));
