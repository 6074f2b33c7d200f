// Bearer-secret checks, the seeds' cron auth (`Authorization: Bearer ${CRON_SECRET}`).
import { createHash, timingSafeEqual } from 'node:crypto';

/** The token of an `Authorization: Bearer TOKEN` header, or undefined. */
export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  if (header === null) return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m?.[1];
}

/**
 * Compares two secrets in constant time. Both are hashed first, so neither the content nor the
 * length of the expected secret shows in the time taken (timingSafeEqual needs equal lengths).
 */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** True when `request` carries `Authorization: Bearer <secret>`. An empty secret never matches. */
export function hasBearerSecret(request: Request, secret: string | undefined): boolean {
  if (secret === undefined || secret === '') return false;
  const token = bearerToken(request);
  // compare even when the header is missing, so a probe learns nothing from the timing
  return secretsEqual(token ?? '', secret) && token !== undefined;
}
