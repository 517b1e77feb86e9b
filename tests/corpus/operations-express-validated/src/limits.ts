import { z } from 'zod';

const Limits = z.object({
  MAX_LINKS: z.coerce.number().int().positive().default(100),
});

export const limits = Limits.parse(process.env); // expect: ops.validated-config

export function checkBody(body: unknown) {
  return Limits.partial().parse(body);
}
