/** The KEK keyring (`KeyProvider` of @warden/crypto) wrapping file and filter data keys. */
export const KEY_PROVIDER = Symbol('exports.key-provider');
