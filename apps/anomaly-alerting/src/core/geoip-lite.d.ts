/** The part of geoip-lite (which ships no types) this service uses. `area`: accuracy radius in km. */
declare module 'geoip-lite' {
  export type Lookup = { country: string; region: string; city: string; ll: [number, number]; area?: number };
  export function lookup(ip: string): Lookup | null;
}
