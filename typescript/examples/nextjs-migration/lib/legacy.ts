// Stand-ins for the application's existing code (the email_queue table, campaigns, SMS drips, the
// mailbox and SMS senders). In the real app these are the functions the cron jobs call today;
// here they only have the shapes the migration needs.

export interface QueuedEmail {
  id: string;
  user_id: string;
  mailbox_id: string;
  to_email: string;
  subject: string;
  html: string;
  from_name?: string;
  from_email?: string;
  priority?: number;
}

export interface ActiveCampaign {
  id: string;
  user_id: string;
}

export interface DueSmsDrip {
  id: string;
  user_id: string;
  to: string;
  message: string;
}

export interface Mailbox {
  id: string;
  provider: string;
}

export async function fetchQueuedEmails(): Promise<QueuedEmail[]> {
  return [];
}

/** The email_queue row leaves 'queued' (so the next cron run does not pick it up again). */
export async function markEmailDispatched(_emailId: string, _messageId: string): Promise<void> {}

export async function processEmail(_email: QueuedEmail): Promise<void> {}

export async function fetchActiveCampaigns(): Promise<ActiveCampaign[]> {
  return [];
}

export async function processCampaign(_campaign: ActiveCampaign): Promise<void> {}

export async function fetchDueSmsDrips(): Promise<DueSmsDrip[]> {
  return [];
}

export async function processSmsDrip(_drip: DueSmsDrip): Promise<void> {}

export async function fetchMailbox(mailboxId: string): Promise<Mailbox> {
  return { id: mailboxId, provider: 'smtp' };
}

export async function sendViaMailbox(_input: {
  mailbox: Mailbox;
  to: string;
  subject: string;
  html: string;
  fromName?: string | undefined;
  fromEmail?: string | undefined;
}): Promise<{ success: boolean; error?: string }> {
  return { success: true };
}

/** Whether the email was sent already (a redelivery after a worker crash must not send twice). */
export async function wasEmailSent(_emailId: string): Promise<boolean> {
  return false;
}

export async function sendSms(_to: string, _message: string): Promise<{ success: boolean; error?: string; permanent?: boolean }> {
  return { success: true };
}
