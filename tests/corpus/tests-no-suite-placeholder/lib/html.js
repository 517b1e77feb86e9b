// Rendering html.
exports.render = (rows) => rows.map((row) => ({ kind: "html", row }));
