const knex = require("../knex");

async function update(match, values) {
  return knex("notes").where(match).update(values);
}

async function archive(id) {
  return knex.transaction(async (trx) => { // expect: durability.transaction
    const note = trx("notes").where({ id });
    await note.update({ archived: true }); // expect: durability.transaction
    await trx("note_events").insert({ note_id: id, what: "archive" }); // expect: durability.transaction
  });
}

async function addTags(trx, noteId, tags) {
  await trx("note_tags").insert(tags.map((tag) => ({ note_id: noteId, tag })));
  await trx("notes").where({ id: noteId }).increment("tag_count", tags.length);
}

async function retag(noteId, tags) {
  await knex("note_tags").where({ note_id: noteId }).del();
  await knex("note_tags").insert(tags.map((tag) => ({ note_id: noteId, tag }))); // expect: durability.multi-step-write-outside-transaction
}

async function move(noteId, folderId) {
  const trx = await knex.transaction(); // expect: durability.transaction
  try {
    await trx("notes").where({ id: noteId }).update({ folder_id: folderId }); // expect: durability.transaction
    await trx("folders").where({ id: folderId }).increment("size", 1); // expect: durability.transaction
    await trx.commit();
  } catch (err) {
    await trx.rollback();
    throw err;
  }
}

module.exports = { update, archive, addTags, retag, move };
