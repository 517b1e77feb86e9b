const parts = ["links", "users", "stats", "domains", "auth", "mail", "cache", "utils"].map((n) => require(`./${n}`));

module.exports = parts;
