// Storage on better-sqlite3: synchronous statements called from async methods.
import Database from "better-sqlite3";

export class SqliteStorage {
  private db: Database.Database;
  private statementCache: Map<string, Database.Statement> = new Map(); // expect: performance.unbounded-cache
  private rowCache: Map<string, unknown> = new Map();
  private readonly MAX_ROWS = 100;

  constructor(path: string) {
    this.db = new Database(path);
  }

  private getCachedStatement(sql: string): Database.Statement {
    let stmt = this.statementCache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statementCache.set(sql, stmt);
    }
    return stmt;
  }

  async run(sql: string, ...params: unknown[]) {
    const stmt = this.getCachedStatement(sql);
    const result = stmt.run(...params); // expect: performance.blocking-call-in-async
    return result;
  }

  async all(sql: string, ...params: unknown[]) {
    return this.db.prepare(sql).all(...params); // expect: performance.blocking-call-in-async
  }

  remember(key: string, row: unknown) {
    this.rowCache.set(key, row);
    if (this.rowCache.size > this.MAX_ROWS) {
      const oldest = this.rowCache.keys().next().value;
      if (oldest !== undefined) this.rowCache.delete(oldest);
    }
  }

  migrate() {
    this.db.prepare("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)").run();
  }

  async everything() {
    const results = await Promise.all([this.count(), this.count()]);
    return results;
  }

  async count() {
    return 1;
  }
}
