module.exports = ["csv", "pdf", "html", "charts", "totals", "filters", "dates", "format"].map((n) => require(`./${n}`));
