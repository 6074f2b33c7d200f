// symphony.config.ts of the architecture, as the Messenger's transports and routing:
// EmailMessage -> the 'email' queue at priority 7, CampaignMessage and SMSMessage -> 'async' at 5.
import { configure, getMessenger, type DispatcherConfig, type Messenger } from 'symphony-messenger';
import { getSymphonyClient } from 'symphony-messenger/next';

export const symphonyConfig = {
  transports: {
    email: { queue: 'email', priority: 7 },
    async: { queue: 'async', priority: 5 },
  },
  routing: {
    EmailMessage: 'email',
    CampaignMessage: 'async',
    SMSMessage: 'async',
  },
} satisfies DispatcherConfig;

/** The queues the worker consumes: every transport's. */
export const QUEUES = [...new Set(Object.values(symphonyConfig.transports).map((t) => t.queue))];

let configured: Messenger | undefined;

/**
 * Makes the default Messenger (the one dispatch() uses) this app's: the routing above, over the
 * connection the monitoring routes share (getSymphonyClient()). The builders call it before they
 * dispatch; it configures on the first call, and again only if something replaced the default.
 */
export function configureMessenger(): void {
  if (configured !== undefined && getMessenger() === configured) return;
  configured = configure({ ...symphonyConfig, client: getSymphonyClient() });
}
