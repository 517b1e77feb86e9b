// Rendering pdf.
exports.render = (rows) => rows.map((row) => ({ kind: "pdf", row }));
