import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { NodemailerError, Transporter } from 'nodemailer';
import { AppConfig } from '../config/app-config';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /**
   * The link the mail exists for (it carries a secret). Without SMTP it is logged only when
   * `NODE_ENV=development`, so a developer can follow it; it never reaches any other log.
   */
  link?: string;
  /** A short, non-secret name of the kind of mail, for logs (`password_reset`, say). */
  kind: string;
}

interface QueuedMail {
  message: MailMessage;
  attempts: number;
  notBefore: number;
}

/** First delivery, then retries after 1, 2, 4 and 8 seconds. */
export const MAIL_MAX_ATTEMPTS = 5;
const BACKOFF_BASE_MS = 1_000;
/** How long shutdown may wait for the queue before the rest is given up (and logged). */
const DRAIN_DEADLINE_MS = 10_000;
const MAX_QUEUE = 10_000;

/**
 * Sends mail without holding up the request that caused it. `send()` only queues: a worker in
 * the background delivers through nodemailer, retries transient failures (connection errors,
 * 4xx replies) with exponential backoff, drops permanent rejections (5xx), and logs every
 * failure by kind and recipient — never the body, which carries a token. Shutdown drains the
 * queue, retrying at once what was waiting for a backoff, within a deadline.
 *
 * Without `SMTP_URL` a mail is logged instead of sent (its link only in development).
 */
@Injectable()
export class MailService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Mail');
  private transport: Transporter | null = null;
  private readonly queue: QueuedMail[] = [];
  private sending = false;
  private timer: NodeJS.Timeout | null = null;
  private shuttingDown = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly config: AppConfig) {}

  /** nodemailer is loaded only by an instance that has somewhere to send mail. */
  async onModuleInit(): Promise<void> {
    const url = this.config.mail.smtpUrl;
    if (!url) return;
    const { createTransport } = await import('nodemailer');
    this.transport = createTransport({
      url,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
  }

  /** Queues a mail; returns at once. Delivery happens in the background. */
  send(message: MailMessage): void {
    if (!this.transport) {
      this.logUnsent(message);
      return;
    }
    if (this.queue.length >= MAX_QUEUE) {
      this.logger.error(`Mail queue full: ${message.kind} mail to ${message.to} dropped`);
      return;
    }
    this.queue.push({ message, attempts: 0, notBefore: 0 });
    void this.pump();
  }

  /** Mails waiting to be delivered (including those waiting for a retry). */
  get pending(): number {
    return this.queue.length + (this.sending ? 1 : 0);
  }

  /** Resolves once the queue is empty (every mail delivered or given up). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * After the HTTP server has closed and the `beforeApplicationShutdown` hooks (which finish
   * the work that queues mail) have run: nothing can add to the queue any more.
   */
  async onApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending > 0) {
      // Nothing waits for a backoff any more: what is queued is tried now, within a deadline.
      for (const item of this.queue) item.notBefore = 0;
      void this.pump();
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([
        this.idle(),
        new Promise<void>((resolve) => {
          deadline = setTimeout(resolve, DRAIN_DEADLINE_MS);
        }),
      ]);
      clearTimeout(deadline);
      for (const item of this.queue.splice(0)) {
        this.logger.error(
          `${item.message.kind} mail to ${item.message.to} not delivered before shutdown`,
        );
      }
      this.notifyIdle();
    }
    this.transport?.close();
  }

  private async pump(): Promise<void> {
    const transport = this.transport;
    if (this.sending || !transport) return;
    this.sending = true;
    try {
      for (;;) {
        const now = Date.now();
        const index = this.queue.findIndex((item) => item.notBefore <= now);
        if (index === -1) break;
        const [item] = this.queue.splice(index, 1);
        if (item) await this.deliver(transport, item);
      }
    } finally {
      this.sending = false;
    }
    this.schedule();
    if (this.pending === 0) this.notifyIdle();
  }

  private async deliver(transport: Transporter, item: QueuedMail): Promise<void> {
    const { message } = item;
    item.attempts += 1;
    try {
      await transport.sendMail({
        from: this.config.mail.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
      });
      this.logger.log(`${message.kind} mail sent to ${message.to}`);
    } catch (error) {
      const failure = describeFailure(error);
      const permanent = (error as NodemailerError).permanent === true;
      if (permanent || item.attempts >= MAIL_MAX_ATTEMPTS) {
        this.logger.error(
          `${message.kind} mail to ${message.to} failed for good after ${item.attempts} attempt(s): ${failure}`,
        );
        return;
      }
      const delay = this.shuttingDown ? 0 : BACKOFF_BASE_MS * 2 ** (item.attempts - 1);
      this.logger.warn(
        `${message.kind} mail to ${message.to} failed (attempt ${item.attempts} of ${MAIL_MAX_ATTEMPTS}), retrying in ${delay} ms: ${failure}`,
      );
      this.queue.push({ ...item, notBefore: Date.now() + delay });
    }
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.queue.length === 0) return;
    const next = Math.min(...this.queue.map((item) => item.notBefore));
    this.timer = setTimeout(
      () => {
        this.timer = null;
        void this.pump();
      },
      Math.max(0, next - Date.now()),
    );
    // A pending retry alone does not keep the process alive; shutdown drains the queue.
    this.timer.unref();
  }

  private notifyIdle(): void {
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private logUnsent(message: MailMessage): void {
    // A link carries its token: logged only where nobody but the developer reads the log (F19).
    const link = this.config.localDevelopment && message.link ? ` Link: ${message.link}` : '';
    this.logger.log(
      `SMTP_URL is not set: ${message.kind} mail to ${message.to} ("${message.subject}") not sent.${link}`,
    );
  }
}

/** What went wrong, without anything the server may have echoed from the message. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const { code, responseCode } = error as NodemailerError;
  return [code, responseCode].filter((part) => part !== undefined).join(' ') || error.name;
}
