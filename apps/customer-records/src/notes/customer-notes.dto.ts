import { z } from 'zod';

/** `POST /v1/customers/:id/notes`: the note's text (encrypted before it reaches an event or a table). */
export const addNoteBody = z.strictObject({
  body: z.string().trim().min(1, 'must not be empty').max(10_000),
});
export type AddNoteBody = z.infer<typeof addNoteBody>;

/** `GET /v1/customers/:id/notes?limit=&cursor=`: newest first. */
export const listNotesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.uuid({ message: 'is not a cursor this API returned' }).optional(),
});
export type ListNotesQuery = z.infer<typeof listNotesQuery>;

/** A note as the caller sees it: `body` clear, masked, or absent (level `none` on `notes`). */
export type NoteView = { id: string; customerId: string; authorId: string; createdAt: string; body?: string };
export type NotePage = { items: NoteView[]; nextCursor: string | null };
