// One SymphonyClient per server process, created on first use from the environment
// (SYMPHONY_URL, SYMPHONY_TOKEN, ...). It connects lazily and reconnects by itself, so route
// handlers and server actions can share it without a setup step.
import { SymphonyClient, type ClientOptions } from '../client.js';

// Kept on globalThis: Next's dev server re-evaluates modules on every edit, and a module-level
// variable would leave one open connection behind per reload.
const KEY = Symbol.for('symphony-messenger.next.sharedClient');

type Holder = { [KEY]?: SymphonyClient };

/**
 * The process's shared client. `options` apply only when it is created (the first call); a bad
 * setting throws a ConfigError and the next call tries again.
 */
export function getSymphonyClient(options: ClientOptions = {}): SymphonyClient {
  const holder = globalThis as Holder;
  holder[KEY] ??= new SymphonyClient({ clientName: 'symphony-next', ...options });
  return holder[KEY];
}

/** Closes and forgets the shared client (tests, graceful shutdown); the next use makes a new one. */
export async function closeSymphonyClient(timeoutMs?: number): Promise<void> {
  const holder = globalThis as Holder;
  const client = holder[KEY];
  delete holder[KEY];
  if (client) await client.close(timeoutMs === undefined ? {} : { timeoutMs });
}
