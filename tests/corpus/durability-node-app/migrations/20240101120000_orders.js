exports.up = (knex) => knex.schema.createTable("orders", (t) => {
  t.increments("id");
  t.integer("total");
});

exports.down = (knex) => knex.schema.dropTable("orders");
