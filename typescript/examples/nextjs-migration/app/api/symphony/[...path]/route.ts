// The seeds' monitoring endpoints (/api/symphony/health, metrics, status, queue-depth, failed,
// failed/{id}/retry), protected by the same bearer secret as the cron routes.
import { createSymphonyRoutes } from 'symphony-messenger/next';
import { isAuthorizedCronRequest } from '@/lib/cron-auth';

export const { GET, POST } = createSymphonyRoutes({ authorize: isAuthorizedCronRequest });

// the client speaks TCP to the broker: Node.js runtime, never prerendered or cached
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
