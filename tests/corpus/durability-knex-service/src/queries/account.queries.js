const knex = require("../knex");

async function update(match, values) {
  return knex("accounts").where(match).update(values);
}

async function find(match) {
  return knex("accounts").where(match).first();
}

async function save(row) {
  const existing = await knex("accounts").where({ email: row.email }).first();
  if (existing) {
    await knex("accounts").where({ id: existing.id }).update(row);
  } else {
    await knex("accounts").insert(row);
  }
}

module.exports = { update, find, save };
