// The mission end to end (issue 8): the three stories against the whole running stack.
// Only the e2e tier has suites here; `npm test` runs it with every project.
const { wardenJestConfig } = require('../../jest.preset');

module.exports = wardenJestConfig(__dirname);
