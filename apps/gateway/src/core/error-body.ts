import type { Response } from 'express';

/** The error shape of every Warden API (`{statusCode, error, message, code}`), sent by the gateway itself. */
export function sendError(res: Response, statusCode: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const error =
    (
      {
        400: 'Bad Request',
        404: 'Not Found',
        405: 'Method Not Allowed',
        429: 'Too Many Requests',
        503: 'Service Unavailable',
      } as Record<number, string>
    )[statusCode] ?? 'Error';
  res.status(statusCode).type('application/json').send(JSON.stringify({ statusCode, error, message, code }));
}
