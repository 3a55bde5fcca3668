import { createServer, Packet } from 'dns2';

type DnsServer = ReturnType<typeof createServer>;
/** RFC 1035 §4.1.1 RCODE 3, "name error" (dns2's typings do not list its RCODE table). */
const NXDOMAIN = 3;
type DnsHandler = NonNullable<Parameters<typeof createServer>[0]['handle']>;

/**
 * A real DNS server on loopback (UDP, an ephemeral port) that serves the TXT and A/AAAA records
 * a test publishes. Apps reach it through `DNS_SERVERS` (`env`); unknown names answer NXDOMAIN.
 */
export class TestDns {
  private readonly records = new Map<string, string[]>();
  private readonly addresses = new Map<string, string[]>();
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

  /** Points `name` at these addresses (A for IPv4, AAAA for IPv6), replacing what it had. */
  publishAddress(name: string, ...addresses: string[]): void {
    this.addresses.set(name.toLowerCase(), addresses);
  }

  unpublish(name: string): void {
    this.records.delete(name.toLowerCase());
    this.addresses.delete(name.toLowerCase());
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
    const addresses = this.addresses.get(name);
    if (!values && !addresses) response.header.rcode = NXDOMAIN;
    else if (question.type === Packet.TYPE.A || question.type === Packet.TYPE.AAAA) {
      const v6 = question.type === Packet.TYPE.AAAA;
      for (const address of (addresses ?? []).filter((a) => a.includes(':') === v6)) {
        response.answers.push(
          Packet.createResourceFromQuestion(question, {
            type: question.type,
            class: Packet.CLASS.IN,
            ttl: 1,
            address,
          }),
        );
      }
    } else if (question.type === Packet.TYPE.TXT && values) {
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
