const knex = require("knex")({ client: "pg", connection: process.env.DATABASE_URL });

async function migrate() {
  await knex.migrate.latest({ directory: "db/migrations" }); // expect: durability.migrations
}

module.exports = knex;
module.exports.migrate = migrate;
