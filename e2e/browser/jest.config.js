// Browser tests of the console (chromium driven by playwright-core) against the running stack.
// Only the e2e tier has suites here; `npm test` runs it with every project.
// Each suite launches a whole stack and a browser: one suite at a time, so two stacks do not
// compete for the machine (and one stack's transactions do not hold back the other's relays).
const { wardenJestConfig } = require('../../jest.preset');

module.exports = { ...wardenJestConfig(__dirname), maxWorkers: 1 };
