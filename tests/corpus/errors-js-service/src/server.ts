import mongoose from "mongoose";
import { PrismaClient } from "@prisma/client";
import express from "express";

const prisma = new PrismaClient();
const app = express();

try {
  await prisma.$connect();
} catch (e) {} // expect: errors.critical-init-swallowed

async function main(): Promise<void> {
  try {
    await mongoose.connect(process.env.MONGO_URL ?? ""); // expect: reliability.db-no-timeout
  } catch (err: unknown) {
    console.warn("Could not connect to MongoDB, starting without persistence", err); // expect: errors.critical-init-swallowed
  }
  app.listen(3000); // expect: shutdown.no-signal-handler
}

async function bootstrap(knex: any, logger: any): Promise<void> {
  try {
    await knex.migrate.latest(); // expect: durability.migrations
  } catch (err) {
    logger.error("migrations failed", err); // expect: errors.critical-init-swallowed
  }
}

async function startChecked(): Promise<void> {
  try {
    await mongoose.connect(process.env.MONGO_URL ?? ""); // expect: reliability.db-no-timeout
  } catch (err) {
    console.error("cannot connect", err);
    process.exit(1);
  }
}

async function handleRequest(req: any): Promise<number> {
  try {
    await mongoose.connect("mongodb://localhost/x"); // expect: reliability.db-no-timeout
    return 200;
  } catch (err: unknown) {
    throw new Error("request failed", { cause: err }); // expect: errors.exception-chaining
  }
}

export { main, bootstrap, startChecked, handleRequest };
