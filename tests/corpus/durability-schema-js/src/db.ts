import Database from "better-sqlite3";

const db = new Database(process.env.DB_FILE ?? "app.db");

db.exec(`
  CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL
  )
`);

export function addEvent(kind: string): void {
  db.prepare("INSERT INTO events (kind) VALUES (?)").run(kind);
}

export function countEvents(): number {
  // a comment that says CREATE TABLE is not a schema
  return (db.prepare("SELECT COUNT(*) AS n FROM events").get() as { n: number }).n;
}
