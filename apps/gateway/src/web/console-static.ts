import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type RequestHandler, Router } from 'express';
import { sendError } from '../core/error-body';

/** A path whose last segment has an extension is a file: when it is missing, 404, not the app. */
const looksLikeFile = (path: string): boolean => /\.[A-Za-z0-9]+$/.test(path);

/**
 * The built console: hashed assets cached for a year, everything else revalidated; a GET for any
 * other path that is not a file gets index.html (the console's router takes it from there).
 */
export function consoleStatic(distDir: string): RequestHandler {
  const router = Router();
  const index = join(distDir, 'index.html');
  router.use(
    express.static(distDir, {
      index: false,
      fallthrough: true,
      setHeaders: (res, path) => {
        res.setHeader(
          'Cache-Control',
          /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    }),
  );
  router.use((req, res, next) => {
    if (
      (req.method !== 'GET' && req.method !== 'HEAD') ||
      looksLikeFile(req.path) ||
      req.path.startsWith('/api/')
    ) {
      next();
      return;
    }
    if (!existsSync(index)) {
      sendError(res, 503, 'CONSOLE_NOT_BUILT', 'the console is not built: run `npm run console:build`');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
