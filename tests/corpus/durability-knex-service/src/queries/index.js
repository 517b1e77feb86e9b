const account = require("./account.queries");
const note = require("./note.queries");

module.exports = { account, note };
