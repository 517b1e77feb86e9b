// Routes over the SQLite storage: every statement runs synchronously on the request path.
import express from "express";
import { SqliteStorage } from "./sqlite";

const store = new SqliteStorage("data.db");
export const api = express.Router();

api.get("/items", async (req, res) => {
  res.json(await store.all("SELECT * FROM items WHERE owner = ?", req.query.owner));
});

api.post("/items", async (req, res) => {
  await store.run("INSERT INTO items (owner, name) VALUES (?, ?)", req.body.owner, req.body.name);
  res.sendStatus(201);
});

api.get("/count", async (req, res) => {
  res.json(await store.everything());
});
