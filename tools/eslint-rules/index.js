// Warden's own ESLint rules, loaded by eslint.config.mjs as the `warden` plugin.
module.exports = {
  rules: {
    'require-access-rule': require('./require-access-rule'),
  },
};
