// The worker: a long-running process beside the Next.js app (not a route: a serverless function
// would stop mid-message). It consumes the 'email' and 'async' queues and runs each message's
// handler; the broker keeps retries, backoff and dead letters. Run it with e.g. `npx tsx worker.ts`.
//
//   success                        -> ack
//   HandlerError(retryable)        -> nack retry  (the broker's backoff, dead letter when exhausted)
//   HandlerError(not retryable)    -> nack fatal  (dead letter now; see /api/symphony/failed)
//   a payload that fails its schema -> nack fatal (error class ValidationError)
//   no handler for the type        -> nack fatal  (error class NoHandlerError)
//   any other error                -> nack retry  (network and other transient failures)
//
// SIGTERM / SIGINT: no new deliveries, the prefetched ones go back to the broker, the running
// handlers finish (within 30 s), then the connection closes and the process exits.
import { Worker } from 'symphony-messenger';
import { QUEUES } from '@/lib/symphony/config';
import { registry } from '@/lib/symphony/handlers';

// SYMPHONY_URL, SYMPHONY_TOKEN, SYMPHONY_WORKER_BATCH_SIZE, SYMPHONY_WORKER_MAX_CONCURRENCY
const worker = new Worker({ registry, queues: QUEUES, handleSignals: true, connection: { clientName: 'nextjs-migration-worker' } });
worker.on('stopping', (e) => console.log(`[worker] ${e.reason}: finishing ${worker.stats.running} message(s)`));
worker.on('error', (e) => console.error('[worker]', e.error)); // a lost connection: the broker redelivers

await worker.start();
console.log(`[worker] consuming ${worker.queues.join(', ')} (prefetch ${worker.batchSize}, concurrency ${worker.maxConcurrency})`);
