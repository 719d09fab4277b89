/** DI tokens of the authorization service. */
export const AUTH_CONFIG = Symbol('authorization.config');
export const KEK_PROVIDER = Symbol('authorization.kek-provider');
