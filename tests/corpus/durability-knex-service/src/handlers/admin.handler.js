const query = require("../queries");

async function suspend(req, res) {
  const tasks = [];
  tasks.push(query.account.update({ id: req.params.id }, { suspended: true }));
  if (req.body.notes) {
    tasks.push(query.note.update({ owner_id: req.params.id }, { hidden: true }));
  }
  await Promise.all(tasks); // expect: durability.multi-step-write-outside-transaction
  res.json({ ok: true });
}

async function show(req, res) {
  const [account, notes] = await Promise.all([
    query.account.find({ id: req.params.id }),
    query.note.update({ owner_id: req.params.id }, { seen_by_admin: true }),
  ]);
  res.json({ account, notes });
}

module.exports = { suspend, show };
