import type Redis from 'ioredis';
import { RecentlyUsed } from '../recently-used';

/** The channel Redis sends invalidations to in the redirect mode of client tracking. */
const INVALIDATE_CHANNEL = '__redis__:invalidate';

export type TrackedKeysLogger = {
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
};

export type TrackedKeysOptions = {
  /** The connection reads go through; the two connections of the tracking are its duplicates. */
  redis: Redis;
  /** Key prefixes kept in memory; Redis announces every change of a key under them. */
  prefixes: readonly string[];
  /**
   * Values are served from memory only while the invalidation channel answered a ping sent at
   * most this long ago (ms): Redis writes an invalidation before the answer to a later ping on
   * the same connection, so every change made before that ping has been applied. A channel that
   * stalls silently therefore stops the memory being used within this time. 0 turns the memory
   * off: `start` opens nothing and every read goes to Redis.
   */
  maxStalenessMs?: number;
  /** How often the channel is pinged (ms). */
  heartbeatMs?: number;
  /** Keys kept at most (least recently read dropped first). */
  maxEntries?: number;
  logger?: TrackedKeysLogger;
  /** The connections' names in Redis (`<name>:holder`, `<name>:channel`); default `warden-tracked-keys`. */
  name?: string;
  /** The clock (ms); tests move it. */
  now?: () => number;
};

const silent: TrackedKeysLogger = { info: () => undefined, warn: () => undefined };

/**
 * A copy in memory of the Redis keys under some prefixes, kept true by Redis itself
 * (server-assisted client-side caching: `CLIENT TRACKING … BCAST PREFIX …`, invalidations
 * redirected to a subscribed connection). `mget` answers from memory when every key is there and
 * the tracking is healthy, and reads Redis otherwise (what it reads is kept unless a change was
 * announced while the read was on its way).
 *
 * The tracking is healthy only while both its connections are up, tracking is confirmed on the
 * current pair, and the channel answered a ping within `maxStalenessMs`. Anything else (Redis
 * restarted, a connection killed, tracking refused by the server) empties the memory and every
 * read goes to Redis until the tracking is set up again: it fails towards reading, never towards
 * an old value.
 */
export class TrackedKeys {
  private readonly values: RecentlyUsed<string, string | null>;
  private readonly maxStalenessMs: number;
  private readonly now: () => number;
  private readonly logger: TrackedKeysLogger;
  /** Holds the tracking (`CLIENT TRACKING ON`); runs no other command. */
  private holder: Redis | null = null;
  /** Subscribed to the invalidations; pinged. */
  private channel: Redis | null = null;
  private channelId: string | null = null;
  private tracking = false;
  /** Moves on every connection change: a setup begun before it does not switch the tracking on. */
  private epoch = 0;
  /** Moves when the channel is lost: a subscription begun before it does not name the channel. */
  private channelEpoch = 0;
  /** Moves on every invalidation: a read that saw it move does not keep its answer. */
  private changes = 0;
  private answeredPingSentAt = -Infinity;
  private pingInFlight = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private refusedLogged = false;
  private served = { memory: 0, redis: 0 };

  constructor(private readonly options: TrackedKeysOptions) {
    this.maxStalenessMs = options.maxStalenessMs ?? 500;
    this.values = new RecentlyUsed(options.maxEntries ?? 10_000);
    this.now = options.now ?? (() => performance.now());
    this.logger = options.logger ?? silent;
  }

  /** Opens the two connections and sets the tracking up (again after each reconnection); reads work before it is done. */
  start(): void {
    if (this.holder || this.maxStalenessMs <= 0) return;
    const name = this.options.name ?? 'warden-tracked-keys';
    const holder = this.options.redis.duplicate({ lazyConnect: false, connectionName: `${name}:holder` });
    const channel = this.options.redis.duplicate({
      lazyConnect: false,
      connectionName: `${name}:channel`,
      autoResubscribe: false,
      enableOfflineQueue: false,
    });
    this.holder = holder;
    this.channel = channel;
    for (const connection of [holder, channel]) {
      connection.on('close', () => this.lost(connection === channel));
      // ioredis reconnects by itself; an error is followed by `close` when the connection goes.
      connection.on('error', () => undefined);
    }
    holder.on('ready', () => void this.setUp());
    channel.on('ready', () => void this.subscribe());
    channel.on('messageBuffer', (name: Buffer, message: unknown) => {
      if (name.toString() === INVALIDATE_CHANNEL) this.invalidate(message);
    });
    this.heartbeat = setInterval(() => this.ping(), this.options.heartbeatMs ?? 100);
    this.heartbeat.unref();
  }

  stop(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.lost(true);
    // Nothing to flush: the connections only hold the tracking and listen (no graceful QUIT, which
    // would wait for a connection that is still reconnecting).
    this.holder?.disconnect();
    this.channel?.disconnect();
    this.holder = null;
    this.channel = null;
  }

  /** Whether `mget` may answer from memory right now. */
  get healthy(): boolean {
    return this.tracking && this.now() - this.answeredPingSentAt <= this.maxStalenessMs;
  }

  /** How many `mget` calls were answered from memory and from Redis since the start. */
  get stats(): { memory: number; redis: number } {
    return { ...this.served };
  }

  /** The values of `keys` (null: no such key), from memory when it holds them all and is healthy. */
  async mget(keys: readonly string[]): Promise<Array<string | null>> {
    if (this.healthy) {
      const known = this.lookup(keys);
      if (known) {
        this.served.memory += 1;
        return known;
      }
    }
    this.served.redis += 1;
    const keep = this.healthy;
    const { epoch, changes } = this;
    const values = await this.options.redis.mget(...keys);
    if (keep && this.tracking && epoch === this.epoch && changes === this.changes) {
      keys.forEach((key, i) => this.remember(key, values[i]));
    }
    return values;
  }

  private lookup(keys: readonly string[]): Array<string | null> | null {
    const found: Array<string | null> = [];
    for (const key of keys) {
      const value = this.values.get(key);
      if (value === undefined) return null;
      found.push(value);
    }
    return found;
  }

  private remember(key: string, value: string | null): void {
    if (this.options.prefixes.some((prefix) => key.startsWith(prefix))) this.values.set(key, value);
  }

  /** An announced change: the keys named (every key for a flush), and any read on its way, are dropped. */
  private invalidate(message: unknown): void {
    this.changes += 1;
    if (Array.isArray(message)) {
      for (const key of message) this.values.delete(String(key));
    } else {
      this.values.clear();
    }
  }

  private lost(channel: boolean): void {
    this.epoch += 1;
    this.changes += 1;
    this.tracking = false;
    this.values.clear();
    this.answeredPingSentAt = -Infinity;
    if (channel) {
      this.channelEpoch += 1;
      this.channelId = null;
    }
  }

  /** The channel is up (again): learn its id, subscribe, then point the tracking at it. */
  private async subscribe(): Promise<void> {
    const channel = this.channel;
    if (!channel) return;
    const channelEpoch = this.channelEpoch;
    try {
      const id = String(await channel.call('CLIENT', 'ID'));
      await channel.subscribe(INVALIDATE_CHANNEL);
      if (channelEpoch !== this.channelEpoch || channel !== this.channel) return;
      this.channelId = id;
      await this.setUp();
    } catch (error) {
      this.logger.warn('tracked keys: the invalidation channel could not subscribe; reading Redis every time', { error: (error as Error).message });
    }
  }

  /** Switches the tracking on for the holder, redirected to the channel, when both are up. */
  private async setUp(): Promise<void> {
    const { holder, channelId } = this;
    if (!holder || channelId === null || holder.status !== 'ready') return;
    const epoch = ++this.epoch;
    this.tracking = false;
    this.values.clear();
    try {
      await holder.call('CLIENT', 'TRACKING', 'OFF');
      await holder.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', channelId, 'BCAST', ...this.options.prefixes.flatMap((prefix) => ['PREFIX', prefix]));
      if (epoch !== this.epoch) return;
      this.tracking = true;
      this.refusedLogged = false;
      this.logger.info('tracked keys: Redis announces changes; values are served from memory', { prefixes: this.options.prefixes });
      this.ping();
    } catch (error) {
      // An old server or an ACL without CLIENT: every read goes to Redis.
      if (!this.refusedLogged) {
        this.logger.warn('tracked keys: Redis refused client tracking; reading Redis every time', { error: (error as Error).message });
        this.refusedLogged = true;
      }
    }
  }

  private ping(): void {
    const channel = this.channel;
    if (!channel || !this.tracking || this.pingInFlight || channel.status !== 'ready') return;
    const sentAt = this.now();
    const epoch = this.epoch;
    this.pingInFlight = true;
    channel
      .ping()
      .then(() => {
        if (epoch === this.epoch) this.answeredPingSentAt = Math.max(this.answeredPingSentAt, sentAt);
      })
      .catch(() => undefined)
      .finally(() => {
        this.pingInFlight = false;
      });
  }
}
