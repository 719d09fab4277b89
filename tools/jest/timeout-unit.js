// Jest reads testTimeout only from the top-level config, so each tier sets its own here.
jest.setTimeout(10000);
