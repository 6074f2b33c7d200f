// The worker: a long-running process beside the Next.js app (not a route: a serverless function
// would stop mid-message). It consumes the 'email' and 'async' queues and runs each message's
// handler; the broker keeps retries, backoff and dead letters. Run it with e.g. `npx tsx worker.ts`.
//
//   success                     -> ack
//   HandlerError(retryable)     -> nack retry  (the broker's backoff, dead letter when exhausted)
//   HandlerError(not retryable) -> nack fatal  (dead letter now; see /api/symphony/failed)
//   no handler for the type     -> nack fatal
//   any other error             -> nack retry  (network and other transient failures)
//
// TODO(messenger): switch to the Messenger API: this file becomes
//   new Worker({ registry, queues: QUEUES, handleSignals: true })   (then start it)
// with lib/symphony/handlers.ts registering into a HandlerRegistry; the subscribe / ack / nack /
// shutdown code below goes away (the Worker classifies HandlerError the same way).
import { SymphonyClient, type ReceivedDelivery } from 'symphony-messenger';
import { HandlerError, type MessageEnvelope } from '@/lib/symphony/handler-types';
import { handlers } from '@/lib/symphony/handlers';
import { QUEUES } from '@/lib/symphony/messages';

// SYMPHONY_URL, SYMPHONY_TOKEN, SYMPHONY_WORKER_BATCH_SIZE, SYMPHONY_WORKER_MAX_CONCURRENCY
const client = new SymphonyClient({ clientName: 'nextjs-migration-worker' });
const { workerBatchSize, workerMaxConcurrency } = client.config;
const shutdown = new AbortController();
const running = new Set<Promise<void>>();

async function run(d: ReceivedDelivery): Promise<void> {
  const log = (text: string): void => console.log(`[worker] ${d.type} ${d.id} (attempt ${d.attempt}): ${text}`);
  const handler = handlers.get(d.type);
  if (!handler) {
    await client.nack(d.id, 'fatal', `no handler for ${d.type}`, 'NoHandler');
    return;
  }
  const envelope: MessageEnvelope = {
    id: d.id.toString(),
    queue: d.queue,
    attempt: d.attempt,
    priority: d.priority,
    headers: d.headers,
    createdAt: d.createdAt,
  };
  try {
    // a payload that is not a JSON object reaches the handler as {} and fails its schema: fatal
    const message = { type: d.type, payload: isRecord(d.payload) ? d.payload : {}, ...(isRecord(d.metadata) && { metadata: d.metadata }) };
    await handler.handle(message, envelope, { signal: shutdown.signal, log });
    await client.ack(d.id);
  } catch (err) {
    const retryable = !(err instanceof HandlerError) || err.retryable;
    const text = err instanceof Error ? err.message : String(err);
    const errorClass = err instanceof Error ? err.name : 'Error';
    log(`${retryable ? 'will retry' : 'dead-lettered'}: ${text}`);
    await client.nack(d.id, retryable ? 'retry' : 'fatal', text.slice(0, 4000), errorClass);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function stop(signal: string): Promise<void> {
  if (shutdown.signal.aborted) return;
  console.log(`[worker] ${signal}: finishing ${running.size} message(s)`);
  shutdown.abort();
  await client.credit(0).catch(() => undefined); // no new deliveries
  await Promise.allSettled(running);
  // deliveries received but not started are released when the connection closes: the broker
  // hands them to another worker
  await client.close();
}

process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));

await client.subscribe(QUEUES, workerBatchSize);
console.log(`[worker] consuming ${QUEUES.join(', ')} (prefetch ${workerBatchSize}, concurrency ${workerMaxConcurrency})`);
for await (const d of client.deliveries()) {
  if (shutdown.signal.aborted) break;
  const p: Promise<void> = run(d)
    .catch((err: unknown) => console.error('[worker] could not settle', d.id, err)) // lost connection: the broker redelivers
    .finally(() => running.delete(p));
  running.add(p);
  if (running.size >= workerMaxConcurrency) await Promise.race(running);
}
