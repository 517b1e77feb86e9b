// Rendering filters.
exports.render = (rows) => rows.map((row) => ({ kind: "filters", row }));
