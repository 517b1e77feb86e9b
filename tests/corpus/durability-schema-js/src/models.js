const { Sequelize, DataTypes } = require("sequelize");

const sequelize = new Sequelize(process.env.DATABASE_URL);
const Note = sequelize.define("Note", { body: DataTypes.STRING });

async function start() {
  await sequelize.sync({ alter: true });
}

module.exports = { Note, start };
