// Rendering charts.
exports.render = (rows) => rows.map((row) => ({ kind: "charts", row }));
