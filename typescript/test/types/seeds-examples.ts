// The seeds' own TypeScript examples (/work/shared/seeds, every ```typescript block that uses the
// Messenger API), type-checked against this package by `npm test` (tsc -p tsconfig.types.json).
// Never run. Blocks are numbered in seed order (#1..#36) and kept as written, except:
//
//   - imports: '@/lib/symphony' (and '@/lib/symphony/config', '@/lib/types/symphony',
//     '@/lib/symphony/errors', whose names this package exports) -> the package's src index;
//     application modules (message builders, cron integrations, mailbox sending, NextRequest,
//     Jest) -> ./seeds-app.ts. The blocks' imports are merged and hoisted here, since an import
//     cannot sit inside a block.
//   - each block sits in its own `{ }` scope (or a namespace when it has `export`), so the blocks'
//     names do not collide; #16-#18 (one page of the architecture) share one namespace.
//   - names the examples use without defining (message, messages, failedMessageId...) are
//     declared below.
//   - adapted blocks say so in a comment: #10-#14 and #26 fetch the Next.js routes: they call the
//     operations those routes serve instead (health(), metrics(), status(), failed.*), keeping
//     the property reads; #27 and #28 are a bare object and a bare property: given a name and the
//     MessengerConfig type; #32 uses SymphonyDispatcher without importing it: imported.
//   - lines marked "check (added)" compare a seed interface with the package's.
//   - not included: #19 and #21, the legacy cron routes before migration (no Symphony API).
import {
  HandlerError,
  HandlerRegistry,
  SymphonyDispatcher,
  dispatch,
  dispatchBatch,
  getDispatcher,
  getRuntimeConfigManager,
  getTransportsForMessageType,
  setConfig,
  type HandlerContext,
  type Message,
  type MessageEnvelope,
  type MessageHandler,
  type MessageMetadata,
  type MessengerConfig,
} from '../../src/index.js';
import * as symphony from '../../src/index.js';
import {
  EmailMessage,
  context,
  describe,
  dispatchCampaignMessage,
  dispatchCampaignProcessing,
  dispatchEmailMessage,
  dispatchEmailQueueBatch,
  dispatchSMSMessage,
  envelope,
  expect,
  fetchActiveCampaigns,
  fetchMailbox,
  fetchQueuedEmails,
  it,
  processCampaign,
  processEmail,
  sendViaMailbox,
  shouldUseSymphonyForCampaigns,
  shouldUseSymphonyForEmailQueue,
  type EmailMessagePayload,
  type NextRequest,
} from './seeds-app.js';

// Names the examples use without defining them.
declare const message: Message;
declare const message1: Message;
declare const message2: Message;
declare const message3: Message;
declare const messages: Message[];
declare const failedMessageId: string;

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// #1 (000, Quick Start: Create a Handler)
{
  class MyMessageHandler implements MessageHandler {
    async handle(
      message: Message,
      envelope: any,
      context: HandlerContext
    ): Promise<void> {
      if (message.type !== 'MyMessage') {
        throw new HandlerError('Invalid message type', false)
      }

      // Your processing logic here
      console.log('Processing message:', message.payload)
    }
  }

  // Register handler
  const registry = new HandlerRegistry()
  registry.register('MyMessage', new MyMessageHandler())
}

// #2 (000, Quick Start: Dispatch a Message)
{
  await dispatch({
    type: 'MyMessage',
    payload: { data: 'value' },
  }, {
    priority: 7,
  })
}

// #3 (000, Core Concepts: Messages)
namespace Example3 {
  interface Message {
    type: string
    payload: Record<string, unknown>
    metadata?: Record<string, unknown>
  }

  // check (added): the package's Message is this interface
  export const same: Equal<Message, symphony.Message> = true
}

// #4 (000, Core Concepts: Handlers)
namespace Example4 {
  interface MessageHandler {
    handle(
      message: Message,
      envelope: MessageEnvelope,
      context: HandlerContext
    ): Promise<void>
  }

  // check (added): a handler of either interface is a handler of the other
  export const seedToPackage: symphony.MessageHandler = {} as MessageHandler
  export const packageToSeed: MessageHandler = {} as symphony.MessageHandler
}

// #5 (000, Common Tasks: Send an Email)
{
  await dispatchEmailMessage({
    emailId: 'email-123',
    userId: 'user-456',
    mailboxId: 'mailbox-789',
    toEmail: 'recipient@example.com',
    subject: 'Hello',
    html: '<p>World</p>',
    priority: 7,
  })
}

// #6 (000, Common Tasks: Schedule a Message)
{
  await dispatch(message, {
    scheduledAt: new Date(Date.now() + 3600000), // 1 hour from now
  })
}

// #7 (000, Common Tasks: Process a Campaign)
{
  await dispatchCampaignMessage({
    campaignId: 'campaign-123',
    userId: 'user-456',
    action: 'process',
  })
}

// #8 (000, Common Tasks: Send an SMS)
{
  await dispatchSMSMessage({
    to: '+1234567890',
    message: 'Hello from Symphony!',
  })
}

// #9 (000, Runtime Configuration)
{
  const manager = getRuntimeConfigManager()

  // Update default priority
  manager.setDefaultPriority(7)

  // Add transport
  manager.setTransport('redis', {
    type: 'redis',
    queue: 'default',
    priority: 5,
  })
}

// #10 (000, Monitoring: Check System Health), adapted: the operation GET /api/symphony/health serves
{
  // const response = await fetch('/api/symphony/health')
  // const { health } = await response.json()
  const health = await symphony.health()

  console.log('Status:', health.status)
  console.log('Queue depth:', health.metrics.queueDepth)
}

// #11 (000, Monitoring: Get Metrics), adapted: the operation GET /api/symphony/metrics serves
{
  // const response = await fetch('/api/symphony/metrics?minutes=60')
  // const { metrics } = await response.json()
  const metrics = await symphony.metrics({ minutes: 60 })

  console.log('Success rate:', metrics.successRate)
  console.log('Average latency:', metrics.averageProcessingTime)
}

// #12 (000, Monitoring: Check Queue Status), adapted: the operation GET /api/symphony/status serves
{
  // const response = await fetch('/api/symphony/status')
  // const { queue } = await response.json()
  const { queue } = await symphony.status()

  console.log('Queue depth:', queue.depth)
  console.log('Pending:', queue.pending)
}

// #13 (000, Error Handling: Retry Failed Messages), adapted: the operation the route serves
{
  // const response = await fetch(`/api/symphony/failed/${failedMessageId}/retry`, {
  //   method: 'POST',
  // })
  const response = await symphony.failed.retry(failedMessageId)
}

// #14 (000, Error Handling: View Failed Messages), adapted: the operation the route serves
{
  // const response = await fetch('/api/symphony/failed?limit=50')
  // const { messages } = await response.json()
  const { messages } = await symphony.failed.list({ limit: 50 })
}

// #15 (001, Configuration: symphony.config.ts)
namespace Example15 {
  export const symphonyConfig = {
    transports: {
      default: 'supabase',
      sync: {
        type: 'sync',
      },
      async: {
        type: 'supabase',
        queue: 'async',
      },
      email: {
        type: 'supabase',
        queue: 'email',
        priority: 7,
      },
    },
    routing: {
      'EmailMessage': ['email'],
      'CampaignMessage': ['async'],
      'SMSMessage': ['async'],
    },
    retry: {
      default: {
        maxRetries: 3,
        delay: 1000,
        multiplier: 2.0,
        maxDelay: 30000,
      },
      'EmailMessage': {
        maxRetries: 5,
        delay: 2000,
        multiplier: 2.0,
        maxDelay: 60000,
      },
    },
    worker: {
      batchSize: 10,
      maxConcurrency: 5,
      pollInterval: 1000,
    },
  };

  // check (added): it configures a Messenger as it is
  export const accepted: MessengerConfig = symphonyConfig
}

// #16, #17, #18 (001, Message Types and Handler Registration)
namespace Architecture {
  // #16
  interface Message {
    type: string;
    payload: Record<string, unknown>;
    metadata?: MessageMetadata;
  }

  // check (added)
  export const same: Equal<Message, symphony.Message> = true

  // #17
  // Email Message
  interface EmailMessage extends Message {
    type: 'EmailMessage';
    payload: {
      to: string;
      subject: string;
      html: string;
      mailboxId: string;
      userId: string;
    };
  }

  // Campaign Message
  interface CampaignMessage extends Message {
    type: 'CampaignMessage';
    payload: {
      campaignId: string;
      recipientId: string;
      stepId: string;
    };
  }
  export type Examples = EmailMessage | CampaignMessage

  // #18
  // lib/symphony/handlers/email-handler.ts
  export const emailHandler: MessageHandler<EmailMessage> = {
    type: 'EmailMessage',
    handle: async (message: EmailMessage, context: HandlerContext) => {
      // Process email
    },
  };

  // check (added): the object form registers by its type
  new HandlerRegistry().register(emailHandler)
}

// #20 (002, Example 1: Email Queue Processing, migrated)
namespace Example20 {
  export async function GET(request: NextRequest) {
    const emails = await fetchQueuedEmails()

    // Check if Symphony is enabled
    if (shouldUseSymphonyForEmailQueue()) {
      const result = await dispatchEmailQueueBatch(emails)
      return { dispatched: result.dispatched, legacy: result.legacy }
    }

    // Legacy processing
    for (const email of emails) {
      await processEmail(email)
    }
  }
}

// #22 (002, Example 2: Campaign Processing, migrated)
namespace Example22 {
  export async function GET(request: NextRequest) {
    const campaigns = await fetchActiveCampaigns()

    // Check if Symphony is enabled
    if (shouldUseSymphonyForCampaigns()) {
      for (const campaign of campaigns) {
        await dispatchCampaignProcessing(
          campaign.id,
          campaign.user_id,
          { action: 'process' }
        )
      }
      return { dispatched: campaigns.length }
    }

    // Legacy processing
    for (const campaign of campaigns) {
      await processCampaign(campaign)
    }
  }
}

// #23 (002, Handler Implementation: Email Handler Example)
namespace Example23 {
  export class EmailMessageHandler implements MessageHandler {
    async handle(
      message: Message,
      envelope: MessageEnvelope,
      context: HandlerContext
    ): Promise<void> {
      if (message.type !== 'EmailMessage') {
        throw new HandlerError('Invalid message type', false)
      }

      const payload = message.payload as EmailMessagePayload

      // Fetch mailbox
      const mailbox = await fetchMailbox(payload.mailboxId)

      // Send email
      const result = await sendViaMailbox({
        mailbox,
        to: payload.toEmail,
        subject: payload.subject,
        html: payload.html,
        fromName: payload.fromName,
        fromEmail: payload.fromEmail,
      })

      if (!result.success) {
        throw new HandlerError(result.error || 'Failed to send email', true)
      }
    }
  }
}

// #24 (002, Testing Migration: Unit Tests); EmailMessageHandler is #23's
namespace Example24 {
  import EmailMessageHandler = Example23.EmailMessageHandler

  describe('EmailMessageHandler', () => {
    it('should process email message', async () => {
      const handler = new EmailMessageHandler()
      const message = new EmailMessage({
        emailId: 'test-123',
        userId: 'user-456',
        mailboxId: 'mailbox-789',
        toEmail: 'test@example.com',
        subject: 'Test',
        html: '<p>Test</p>',
      })

      await handler.handle(message, envelope, context)
    })
  })
}

// #25 (002, Testing Migration: Integration Tests)
{
  describe('Email Message Dispatch', () => {
    it('should dispatch email message', async () => {
      const result = await dispatchEmailMessage({
        emailId: 'test-123',
        userId: 'user-456',
        mailboxId: 'mailbox-789',
        toEmail: 'test@example.com',
        subject: 'Test',
        html: '<p>Test</p>',
      })

      expect(result.messageId).toBeDefined()
    })
  })
}

// #26 (002, Monitoring Migration: Health Checks), adapted: the operations the routes serve
{
  // Check system health
  // const health = await fetch('/api/symphony/health')
  const health = await symphony.health()
  console.log('Health:', health.status)

  // Check metrics
  // const metrics = await fetch('/api/symphony/metrics?minutes=60')
  const metrics = await symphony.metrics({ minutes: 60 })
  console.log('Metrics:', metrics)
}

// #27 (004, Configuration System: Default Configuration), adapted: a bare object, given a name
{
  const defaultConfiguration: MessengerConfig = {
    defaultTransport: 'supabase',
    defaultQueue: 'default',
    defaultPriority: 5,
    transports: {
      sync: { type: 'sync', queue: 'default', priority: 5 },
      supabase: { type: 'supabase', queue: 'default', priority: 5 },
    },
    routing: {},
    retry: {
      default: { maxRetries: 3, delay: 1000, multiplier: 2.0, maxDelay: 30000 },
    },
  }
}

// #28 (004, Routing Configuration), adapted: a bare property, put in a config object
{
  const routingConfiguration: MessengerConfig = {
    routing: {
      'EmailMessage': 'email',
      'CampaignMessage': ['async', 'email'],
      'SMSMessage': 'async',
    }
  }
}

// #29 (004, Dispatcher API: Basic Dispatch)
{
  const result = await dispatch({
    type: 'EmailMessage',
    payload: { to: 'user@example.com', subject: 'Hello' },
  }, {
    priority: 7,
    queue: 'email',
  })
}

// #30 (004, Scheduled Dispatch)
{
  const result = await dispatch(message, {
    scheduledAt: new Date('2024-12-25T00:00:00Z'),
    idempotencyKey: 'unique-key-123',
  })
}

// #31 (004, Batch Dispatch)
{
  const results = await dispatchBatch([
    message1,
    message2,
    message3,
  ], {
    priority: 8,
  })
}

// #32 (004, Multi-Transport Dispatch); SymphonyDispatcher imported above
{
  const dispatcher = getDispatcher()
  if (dispatcher instanceof SymphonyDispatcher) {
    const results = await dispatcher.dispatchToTransports(
      message,
      ['email', 'async', 'backup']
    )
  }
}

// #33 (004, Usage Examples: Basic Usage)
{
  const result = await dispatch({
    type: 'EmailMessage',
    payload: { to: 'user@example.com', subject: 'Hello' },
  })
}

// #34 (004, Usage Examples: With Options)
{
  const result = await dispatch(message, {
    transport: 'email',
    queue: 'high-priority',
    priority: 9,
    scheduledAt: new Date('2024-12-25T00:00:00Z'),
    idempotencyKey: 'unique-key-123',
    metadata: { userId: 'user-123' },
    headers: { 'x-custom-header': 'value' },
  })
}

// #35 (004, Usage Examples: Batch Dispatch)
{
  const results = await dispatchBatch(messages, {
    priority: 7,
    queue: 'batch',
  })
}

// #36 (004, Usage Examples: Configuration)
{
  setConfig({
    routing: {
      'EmailMessage': 'email',
      'CampaignMessage': ['async', 'email'],
    },
  })

  const transports = getTransportsForMessageType('EmailMessage')
  // Returns: ['email']
}
