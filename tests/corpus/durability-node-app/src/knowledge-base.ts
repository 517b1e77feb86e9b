import { MongoClient } from "mongodb";

interface KBEntry {
  id: string;
  text: string;
}

export class KnowledgeBase {
  private entries = new Map<string, KBEntry>(); // expect: durability.in-memory-state, durability.unbounded-collection
  private index = {
    tags: {} as Record<string, string[]>,
  };

  saveEntry(entry: KBEntry): void {
    this.entries.set(entry.id, entry);
  }

  getEntry(id: string): KBEntry | undefined {
    return this.entries.get(id);
  }
}

export class PersistentKnowledgeBase {
  private entries = new Map<string, KBEntry>();

  constructor(private client: MongoClient) {}

  async saveEntry(entry: KBEntry): Promise<void> {
    this.entries.set(entry.id, entry);
    await this.client.db("kb").collection("entries").insertOne(entry);
  }

  getEntry(id: string): KBEntry | undefined {
    return this.entries.get(id);
  }

  forget(id: string): void {
    this.entries.delete(id);
  }
}

export class FakeKnowledgeBase {
  private entries = new Map<string, KBEntry>();

  saveEntry(entry: KBEntry): void {
    this.entries.set(entry.id, entry);
  }

  getEntry(id: string): KBEntry | undefined {
    return this.entries.get(id);
  }

  clear(): void {
    this.entries.clear();
  }
}
