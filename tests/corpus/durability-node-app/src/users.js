const mongoose = require("mongoose");

const User = mongoose.model("User", new mongoose.Schema({ name: String }));
const Audit = mongoose.model("Audit", new mongoose.Schema({ what: String }));

async function signup(data) {
  const user = await User.create(data);
  await Audit.insertMany([{ what: `signup ${user.id}` }]); // expect: durability.multi-step-write-outside-transaction
  return user;
}

async function signupInSession(data) {
  const session = await mongoose.startSession();
  await session.withTransaction(async () => { // expect: durability.transaction
    await User.create([data], { session }); // expect: durability.transaction
    await Audit.insertMany([{ what: "signup" }], { session }); // expect: durability.transaction
  });
}

module.exports = { signup, signupInSession };
