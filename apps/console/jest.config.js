const { wardenJestConfig } = require('../../jest.preset');

module.exports = wardenJestConfig(__dirname);
