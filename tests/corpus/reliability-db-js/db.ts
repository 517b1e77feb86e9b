import { MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import { Client, Pool } from 'pg';

export const pool = new Pool({ connectionString: process.env.DATABASE_URL }); // expect: reliability.db-no-timeout, durability.connection-pool
export const boundedPool = new Pool({ // expect: durability.connection-pool
  connectionString: process.env.DATABASE_URL,
  connectionTimeoutMillis: 2000,
  statement_timeout: 5000,
});
export const envPool = new Pool(); // expect: reliability.db-no-timeout, durability.connection-pool
export const client = new Client({ host: 'db', query_timeout: 3000 });

export const mongo = new MongoClient(process.env.MONGO_URL!); // expect: reliability.db-no-timeout
export const mongoBounded = new MongoClient(process.env.MONGO_URL!, { serverSelectionTimeoutMS: 2000 });

export async function connectMongoose() {
  await mongoose.connect(process.env.MONGO_URL!); // expect: reliability.db-no-timeout
  await mongoose.connect('mongodb://db/app?serverSelectionTimeoutMS=2000');
}
