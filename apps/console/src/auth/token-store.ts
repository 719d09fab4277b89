import { decodeAccessToken, type TokenClaims } from './jwt.util';

/** The part of the Web Storage API the store uses (sessionStorage in the browser). */
export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export type TokenPair = { accessToken: string; refreshToken: string };

export const REFRESH_TOKEN_KEY = 'warden.refreshToken';

/**
 * Where the console keeps its tokens. The access token lives only in memory (gone with the tab,
 * never written anywhere); the refresh token in sessionStorage, so a reload of the tab keeps the
 * person signed in, while a new tab or a closed browser signs in again. Script running in the page
 * could read sessionStorage: the CSP (no inline or foreign script) is what guards it, and the
 * refresh token is rotated on every use with reuse detection at the authorization service.
 */
export class TokenStore {
  private accessToken: string | null = null;
  private claimsCache: TokenClaims | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly storage: KeyValueStorage) {}

  get access(): string | null {
    return this.accessToken;
  }

  get refresh(): string | null {
    return this.storage.getItem(REFRESH_TOKEN_KEY);
  }

  get claims(): TokenClaims | null {
    return this.claimsCache;
  }

  get signedIn(): boolean {
    return this.accessToken !== null;
  }

  set(tokens: TokenPair): void {
    this.accessToken = tokens.accessToken;
    this.claimsCache = decodeAccessToken(tokens.accessToken);
    this.storage.setItem(REFRESH_TOKEN_KEY, tokens.refreshToken);
    this.emit();
  }

  clear(): void {
    const had = this.accessToken !== null || this.refresh !== null;
    this.accessToken = null;
    this.claimsCache = null;
    this.storage.removeItem(REFRESH_TOKEN_KEY);
    if (had) this.emit();
  }

  /** Called after every change (sign-in, refresh, sign-out). Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}
