export const CONFIG = Symbol('warden.config');
export const REDIS = Symbol('warden.redis');
export const KAFKA = Symbol('warden.kafka');
export const KAFKA_ADMIN = Symbol('warden.kafka-admin');
export const SERVICE_NAME = Symbol('warden.service-name');
