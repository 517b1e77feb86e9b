// Rendering dates.
exports.render = (rows) => rows.map((row) => ({ kind: "dates", row }));
