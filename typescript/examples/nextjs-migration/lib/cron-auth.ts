// The seeds' cron auth: Vercel cron sends `Authorization: Bearer ${CRON_SECRET}`. Used by the cron
// routes and by the monitoring routes. Fails closed: without CRON_SECRET nothing gets in.
import { hasBearerSecret } from 'symphony-messenger/next';

export function isAuthorizedCronRequest(request: Request): boolean {
  return hasBearerSecret(request, process.env['CRON_SECRET']); // constant-time; false when unset
}

export function unauthorized(): Response {
  return Response.json({ error: 'unauthorized', message: 'missing or wrong CRON_SECRET' }, { status: 401 });
}
