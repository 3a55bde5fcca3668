import { createServer, Packet } from 'dns2';

type DnsServer = ReturnType<typeof createServer>;
/** RFC 1035 §4.1.1 RCODE 3, "name error" (dns2's typings do not list its RCODE table). */
const NXDOMAIN = 3;
type DnsHandler = NonNullable<Parameters<typeof createServer>[0]['handle']>;

/**
 * A real DNS server on loopback (UDP, an ephemeral port) that serves the TXT records a test
 * publishes. Apps reach it through `DNS_SERVERS` (`env`); unknown names answer NXDOMAIN.
 */
export class TestDns {
  private readonly records = new Map<string, string[]>();
  private server: DnsServer | null = null;
  private port = 0;
  /** Names asked for, lower-cased, in order: proof that a lookup really went out. */
  readonly queries: string[] = [];

  static async start(): Promise<TestDns> {
    const dns = new TestDns();
    dns.server = createServer({ udp: true, handle: dns.answer });
    const addresses = await dns.server.listen({ udp: { port: 0, address: '127.0.0.1' } });
    dns.port = Number(addresses.udp?.port);
    return dns;
  }

  /** What an app needs to resolve through this server. */
  get env(): { DNS_SERVERS: string } {
    return { DNS_SERVERS: `127.0.0.1:${this.port}` };
  }

  /** Adds a TXT record (a name may hold several). */
  publish(name: string, value: string): void {
    const key = name.toLowerCase();
    this.records.set(key, [...(this.records.get(key) ?? []), value]);
  }

  unpublish(name: string): void {
    this.records.delete(name.toLowerCase());
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  private readonly answer: DnsHandler = (request, send) => {
    const response = Packet.createResponseFromRequest(request);
    const [question] = request.questions;
    const name = question.name.toLowerCase();
    this.queries.push(name);
    const values = this.records.get(name);
    if (!values) response.header.rcode = NXDOMAIN;
    else if (question.type === Packet.TYPE.TXT) {
      for (const data of values) {
        response.answers.push(
          Packet.createResourceFromQuestion(question, {
            type: Packet.TYPE.TXT,
            class: Packet.CLASS.IN,
            ttl: 1,
            data,
          }),
        );
      }
    }
    void send(response);
  };
}
