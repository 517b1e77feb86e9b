import { db } from '../../../store';

export async function GET() {
  return Response.json(await db.items.list());
}

export async function POST(request: Request) {
  const item = await db.items.create(await request.json()); // expect: reliability.post-without-idempotency
  return Response.json(item, { status: 201 });
}
