import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();

export async function checkout(userId: string, items: string[]): Promise<void> {
  await prisma.$transaction(async (tx) => { // expect: durability.transaction
    const order = await tx.order.create({ data: { userId } }); // expect: durability.transaction
    await tx.stock.updateMany({ where: { id: { in: items } }, data: { reserved: true } }); // expect: durability.transaction
    return order;
  });
}

export async function checkoutBatch(userId: string): Promise<void> {
  await prisma.$transaction([ // expect: durability.transaction
    prisma.order.create({ data: { userId } }), // expect: durability.transaction
    prisma.audit.create({ data: { what: "checkout" } }), // expect: durability.transaction
  ]);
}

export async function checkoutUnsafe(userId: string): Promise<void> {
  await prisma.order.create({ data: { userId } });
  await prisma.audit.create({ data: { what: "checkout" } }); // expect: durability.multi-step-write-outside-transaction
}

export async function rename(id: string, name: string): Promise<void> {
  await prisma.order.update({ where: { id }, data: { name } });
}
