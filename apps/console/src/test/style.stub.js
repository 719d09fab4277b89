// What a style sheet or an image imports as in the component tests (jsdom draws nothing).
module.exports = {};
