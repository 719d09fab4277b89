/** The audit's outgoing log (checkpoints → checkpoints topic, chain alerts → alerts topic). */
export const OUTBOX_STORE = Symbol('audit.outbox-store');
export const OUTBOX_RELAY = Symbol('audit.outbox-relay');
