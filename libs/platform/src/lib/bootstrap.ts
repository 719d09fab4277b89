import 'reflect-metadata';
import { type INestApplication, Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import type { BaseConfig } from './config';

export type ServiceBootstrapOptions = {
  title: string;
  description: string;
  config: BaseConfig;
  port: number;
};

/** Creates a service's HTTP application with the platform's body limit, logging and OpenAPI docs. */
export async function createServiceApp(module: unknown, options: ServiceBootstrapOptions): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(module as never, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  app.useBodyParser('json', { limit: options.config.HTTP_BODY_LIMIT, strict: true });
  app.useBodyParser('urlencoded', { limit: options.config.HTTP_BODY_LIMIT, extended: false });
  app.set('trust proxy', 'loopback');
  app.disable('x-powered-by');
  // No ETag hashed from every answer's body: answers depend on who asks, and hashing each one cost
  // about a tenth of a small request's time. A handler that versions its resource sets its own.
  app.set('etag', false);
  // Answers carry customer data, tokens and who-may-do-what: no browser or proxy keeps a copy
  // (RFC 9111 no-store; RFC 6749 asks it of token answers). A handler whose answer may be kept
  // (the JWKS) sets its own Cache-Control, which replaces this one.
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle(options.title).setDescription(options.description).setVersion('1').build(),
  );
  SwaggerModule.setup('docs', app, document);
  return app;
}

/** Boots a service and listens on its port; logs the URL and exits with a clear message on failure. */
export async function runService(module: unknown, options: ServiceBootstrapOptions): Promise<INestApplication> {
  const app = await createServiceApp(module, options);
  await app.listen(options.port, options.config.HOST);
  new NestLogger('Bootstrap').log(`${options.title} listening on http://${options.config.HOST}:${options.port}`);
  return app;
}
