// Rendering format.
exports.render = (rows) => rows.map((row) => ({ kind: "format", row }));
