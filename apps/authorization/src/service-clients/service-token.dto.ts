import { z } from 'zod';

export const serviceTokenBody = z.strictObject({
  clientId: z.string().trim().min(1).max(100),
  clientSecret: z.string().min(1).max(1024),
});
export type ServiceTokenBody = z.infer<typeof serviceTokenBody>;

export type ServiceTokenResponse = { accessToken: string; expiresIn: number; tokenType: 'Bearer' };
