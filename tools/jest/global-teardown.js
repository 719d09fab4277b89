// Stops the containers the global setup started (none when `npm test` provided the servers).
module.exports = async function globalTeardown() {
  for (const container of globalThis.__WARDEN_CONTAINERS__ ?? []) await container.stop();
};
