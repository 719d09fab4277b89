/** The part of geoip-lite (which ships no types) this service uses. */
declare module 'geoip-lite' {
  export type Lookup = { country: string; region: string; city: string; ll: [number, number] };
  export function lookup(ip: string): Lookup | null;
}
