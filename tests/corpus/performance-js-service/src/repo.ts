// Repository functions on Prisma and node-postgres.
import { PrismaClient } from "@prisma/client";
import { Pool } from "pg";

const prisma = new PrismaClient();
const pool = new Pool(); // expect: durability.connection-pool, reliability.db-no-timeout
const userCache = new Map<string, string>(); // expect: performance.unbounded-cache

export async function summaries(swarmIds: string[]) {
  const out = [];
  for (const id of swarmIds) {
    const agents = await prisma.agent.findMany({ where: { swarmId: id } }); // expect: performance.query-in-loop
    out.push({ id, agents });
  }
  return out;
}

export async function authors(posts: { authorId: string }[]) {
  return Promise.all(posts.map((post) => prisma.user.findUnique({ where: { id: post.authorId } }))); // expect: performance.query-in-loop
}

export async function ownerEmails(projects: { ownerId: number }[]) {
  const emails: string[] = [];
  projects.forEach(async (project) => {
    const { rows } = await pool.query("SELECT email FROM users WHERE id = $1", [project.ownerId]); // expect: performance.query-in-loop
    emails.push(rows[0].email);
  });
  return emails;
}

export async function summariesBatched(swarmIds: string[]) {
  return prisma.agent.findMany({ where: { swarmId: { in: swarmIds } } });
}

export async function allTasks() {
  return prisma.task.findMany(); // expect: performance.unpaginated-query
}

export async function allTasksSorted() {
  return prisma.task.findMany({ orderBy: { createdAt: "desc" } }); // expect: performance.unpaginated-query
}

export async function allEvents() {
  const { rows } = await pool.query("SELECT * FROM events ORDER BY created_at"); // expect: performance.unpaginated-query
  return rows;
}

export async function taskPage(cursor?: string) {
  return prisma.task.findMany({ take: 50, cursor: cursor ? { id: cursor } : undefined });
}

export async function tasksOf(ownerId: string) {
  return prisma.task.findMany({ where: { ownerId } });
}

export async function eventPage(offset: number) {
  const { rows } = await pool.query("SELECT * FROM events ORDER BY created_at LIMIT 100 OFFSET $1", [offset]);
  return rows;
}

export function rememberUser(id: string, name: string) {
  userCache.set(id, name);
}

export function loop(ids: string[]) {
  for (const id of ids) {
    console.log(userCache.get(id));
  }
}
