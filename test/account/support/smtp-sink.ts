import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  /** Decoded text/plain part. */
  text: string;
  /** Decoded text/html part. */
  html: string;
  raw: string;
}

interface Waiter {
  predicate: (mail: ReceivedMail) => boolean;
  resolve: (mail: ReceivedMail) => void;
}

/**
 * A real SMTP server on a free loopback port, for SMTP_URL in tests: it receives what the app
 * sends over the wire, decodes the MIME parts, and can refuse the next messages (a transient
 * 451 or a permanent 550) to exercise the sender's retries.
 */
export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  /** DATA commands answered so far, accepted or refused. */
  deliveries = 0;
  private refusals: number[] = [];
  private waiters: Waiter[] = [];

  private constructor(
    private readonly server: SMTPServer,
    readonly url: string,
  ) {}

  static async start(): Promise<SmtpSink> {
    let sink: SmtpSink | null = null;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if (!sink) return callback();
          sink.deliveries += 1;
          const refusal = sink.refusals.shift();
          if (refusal !== undefined) {
            const error = Object.assign(
              new Error(refusal >= 500 ? 'Rejected' : 'Try again later'),
              {
                responseCode: refusal,
              },
            );
            return callback(error);
          }
          const rcpt = session.envelope.rcptTo.map((address) => address.address);
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          sink.receive(from, rcpt, Buffer.concat(chunks).toString('utf8'));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.server.address() as AddressInfo;
    sink = new SmtpSink(server, `smtp://127.0.0.1:${port}`);
    return sink;
  }

  /** The next `count` messages are refused with this SMTP code (4xx transient, 5xx permanent). */
  refuseNext(count: number, code = 451): void {
    this.refusals.push(...Array.from({ length: count }, () => code));
  }

  /** The first mail (already received or still to come) to this address matching `predicate`. */
  waitFor(
    to: string,
    predicate: (mail: ReceivedMail) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<ReceivedMail> {
    const match = (mail: ReceivedMail): boolean =>
      mail.to.includes(to.toLowerCase()) && predicate(mail);
    const found = this.messages.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { predicate: match, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`No mail to ${to} within ${timeoutMs} ms`));
      }, timeoutMs).unref();
    });
  }

  mailsTo(to: string): ReceivedMail[] {
    return this.messages.filter((mail) => mail.to.includes(to.toLowerCase()));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(resolve));
  }

  private receive(from: string, to: string[], raw: string): void {
    const mail = { from, to: to.map((a) => a.toLowerCase()), raw, ...parseMime(raw) };
    this.messages.push(mail);
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(mail)) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(mail);
      }
    }
  }
}

/** The link's token (`?token=`) of each of the mail's parts; they must agree. */
export function tokenOf(mail: ReceivedMail): string {
  const inText = /[?&]token=([\w%-]+)/.exec(mail.text)?.[1];
  const inHtml = /[?&]token=([\w%-]+)/.exec(mail.html)?.[1];
  if (!inText || inText !== inHtml)
    throw new Error('The mail carries no (or two different) tokens');
  return decodeURIComponent(inText);
}

/** The link of the text part. */
export function linkOf(mail: ReceivedMail): URL {
  const link = /https?:\/\/\S+/.exec(mail.text)?.[0];
  if (!link) throw new Error('The mail carries no link');
  return new URL(link);
}

function splitHeaders(raw: string): { headers: Map<string, string>; body: string } {
  const index = raw.indexOf('\r\n\r\n');
  const head = index === -1 ? raw : raw.slice(0, index);
  const body = index === -1 ? '' : raw.slice(index + 4);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'quoted-printable':
      return Buffer.from(
        body
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
        'latin1',
      ).toString('utf8');
    case 'base64':
      return Buffer.from(body.replace(/\s/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`). */
function decodeWords(value: string): string {
  return value.replace(
    /=\?([^?]+)\?([QB])\?([^?]*)\?=\s*/gi,
    (_, _charset, kind: string, text: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeBody(text.replace(/_/g, ' '), 'quoted-printable'),
  );
}

function parseMime(raw: string): { subject: string; text: string; html: string } {
  const { headers, body } = splitHeaders(raw);
  const parts: { type: string; content: string }[] = [];
  const collect = (partHeaders: Map<string, string>, partBody: string): void => {
    const type = partHeaders.get('content-type') ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (type.toLowerCase().startsWith('multipart/') && boundary) {
      for (const section of partBody.split(`--${boundary}`).slice(1)) {
        if (section.startsWith('--')) break;
        const part = splitHeaders(section.replace(/^\r\n/, ''));
        collect(part.headers, part.body);
      }
      return;
    }
    parts.push({
      type: type.toLowerCase(),
      content: decodeBody(partBody, partHeaders.get('content-transfer-encoding')),
    });
  };
  collect(headers, body);
  return {
    subject: decodeWords(headers.get('subject') ?? ''),
    text: parts.find((part) => part.type.startsWith('text/plain'))?.content ?? '',
    html: parts.find((part) => part.type.startsWith('text/html'))?.content ?? '',
  };
}
