const { Pool } = require("pg");
const mysql = require("mysql2/promise");
const Database = require("better-sqlite3");

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 }); // expect: durability.connection-pool, reliability.db-no-timeout
const legacy = mysql.createPool({ host: "db", connectionLimit: 5 }); // expect: durability.connection-pool

const local = new Database("cache.db");
local.pragma("journal_mode = WAL"); // expect: durability.sqlite-wal
local.exec("PRAGMA journal_mode=WAL"); // expect: durability.sqlite-wal
local.pragma("synchronous = NORMAL");

async function placeOrder(id, item) {
  const client = await pool.connect();
  try {
    await client.query("BEGIN"); // expect: durability.transaction
    await client.query("INSERT INTO orders (id, item) VALUES ($1, $2)", [id, item]); // expect: durability.transaction
    await client.query("UPDATE stock SET n = n - 1 WHERE item = $1", [item]); // expect: durability.transaction
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK");
    throw err;
  } finally {
    client.release();
  }
}

async function transfer(a, b, amount) {
  await pool.query("UPDATE accounts SET balance = balance - $1 WHERE id = $2", [amount, a]);
  await pool.query("UPDATE accounts SET balance = balance + $1 WHERE id = $2", [amount, b]); // expect: durability.multi-step-write-outside-transaction
}

async function touch(id) {
  const { rows } = await pool.query("SELECT id FROM orders WHERE id = $1", [id]);
  await pool.query("UPDATE orders SET seen = true WHERE id = $1", [id]);
  return rows;
}

function saveLocal(key, value) {
  local.prepare("INSERT INTO kv (k, v) VALUES (?, ?)").run(key, value);
}

module.exports = { pool, legacy, placeOrder, transfer, touch, saveLocal };
