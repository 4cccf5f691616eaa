// Helpers of the DNS suites: the fixture DNS server (dnsmasq with test/fixtures/dns/dnsmasq.conf), a scripted
// UDP/TCP DNS server for what a real server will not do, and a seeded random generator.
import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as packet from 'dns-packet';
import { sleep } from './helpers';

const CONF = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'dns', 'dnsmasq.conf');

let fixture: Promise<string> | undefined;
let child: ChildProcess | undefined;

function dnsmasqBinary(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/sbin', '/sbin'])) {
    const p = path.join(dir, 'dnsmasq');
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

async function startDnsmasq(): Promise<string> {
  const bin = dnsmasqBinary();
  if (bin === undefined) throw new Error('dnsmasq is not installed (Debian package dnsmasq-base; scripts/setup.sh installs it)');
  let lastLog = '';
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    const c = spawn(bin, [`--conf-file=${CONF}`, `--port=${port}`, '--listen-address=127.0.0.1', '--keep-in-foreground',
      '--pid-file=', '--log-facility=-'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    let exited = false;
    c.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    c.on('exit', () => { exited = true; });
    for (let i = 0; i < 50 && !exited; i++) {
      if (await canConnect(port)) {
        child = c;
        // Neither the process nor its pipe may keep the test run alive; it is killed when the run exits.
        c.unref();
        (c.stderr as unknown as { unref?: () => void }).unref?.();
        process.once('exit', () => c.kill());
        return `127.0.0.1:${port}`;
      }
      await sleep(100);
    }
    c.kill();
    lastLog = log;
  }
  throw new Error(`dnsmasq did not start:\n${lastLog}`);
}

/**
 * The fixture DNS server as "127.0.0.1:PORT": the one scripts/test-all.sh started (IOCP_NET_TEST_DNS), or one
 * this process starts (natively only: node.exe under Wine cannot start Linux programs).
 */
export function fixtureDns(): Promise<string> {
  fixture ??= (async () => {
    const env = process.env.IOCP_NET_TEST_DNS;
    if (env) return env;
    if (process.platform === 'win32') {
      throw new Error('IOCP_NET_TEST_DNS is not set: under Wine the fixture DNS server must be started outside ' +
        '(scripts/test-all.sh does it)');
    }
    return startDnsmasq();
  })();
  return fixture;
}

/** Stops a dnsmasq this process started (the suites share one; it also dies with the process). */
export function stopFixtureDns(): void {
  child?.kill();
  child = undefined;
  fixture = undefined;
}

// ---- the scripted server ----------------------------------------------------------------------------------

export interface ScriptedQuery {
  packet: packet.DecodedPacket;
  raw: Buffer;
  rinfo: dgram.RemoteInfo;
  /** The query had an OPT record. */
  edns: boolean;
  /** Sends a datagram to the querier, from the server's socket or from `from`. */
  reply(data: Buffer, from?: dgram.Socket): void;
}

export type Handler = (q: ScriptedQuery, server: ScriptedServer) => void | Promise<void>;

/** A response to `q`: same ID and question unless overridden. */
export function response(q: ScriptedQuery, opts: {
  answers?: packet.Answer[]; authorities?: packet.Answer[]; additionals?: packet.Answer[]; rcode?: number; id?: number;
  tc?: boolean; questions?: packet.Question[]; noQuestion?: boolean;
} = {}): Buffer {
  let flags = packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (opts.rcode ?? 0);
  if (opts.tc) flags |= packet.TRUNCATED_RESPONSE;
  return packet.encode({
    type: 'response',
    id: opts.id ?? q.packet.id,
    flags,
    questions: opts.noQuestion ? [] : (opts.questions ?? q.packet.questions),
    answers: opts.answers ?? [],
    authorities: opts.authorities ?? [],
    additionals: opts.additionals ?? [],
  });
}

export const a = (name: string, address: string, ttl = 60): packet.Answer => ({ type: 'A', name, ttl, data: address });
export const soa = (name: string, ttl: number, minimum: number): packet.Answer => ({
  type: 'SOA', name, ttl,
  data: { mname: `ns.${name}`, rname: `hostmaster.${name}`, serial: 1, refresh: 60, retry: 60, expire: 60, minimum },
});

export class ScriptedServer {
  readonly socket: dgram.Socket;
  readonly queries: ScriptedQuery[] = [];
  handler: Handler;
  tcp: net.Server | undefined;
  tcpQueries = 0;

  private constructor(socket: dgram.Socket, handler: Handler) {
    this.socket = socket;
    this.handler = handler;
    socket.on('message', (raw, rinfo) => {
      let decoded: packet.DecodedPacket;
      try {
        decoded = packet.decode(raw);
      } catch {
        return;
      }
      const q: ScriptedQuery = {
        packet: decoded, raw, rinfo,
        edns: (decoded.additionals ?? []).some((r) => r.type === 'OPT'),
        reply: (data, from = socket) => {
          try {
            from.send(data, rinfo.port, rinfo.address);
          } catch { /* the server was closed meanwhile */ }
        },
      };
      this.queries.push(q);
      void this.handler(q, this);
    });
  }

  static start(handler: Handler, address = '127.0.0.1'): Promise<ScriptedServer> {
    return new Promise((resolve, reject) => {
      const s = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
      s.once('error', reject);
      s.bind(0, address, () => {
        s.removeListener('error', reject);
        resolve(new ScriptedServer(s, handler));
      });
    });
  }

  /** start(), also answering over TCP on the same port number. The UDP port is the kernel's choice and the
   *  same TCP port may be taken (by a connection of another test in TIME_WAIT, say): then both are tried
   *  again on a new port, rather than failing at random with EADDRINUSE. */
  static async startWithTcp(handler: Handler, answer: (query: packet.DecodedPacket) => Buffer,
                            address = '127.0.0.1'): Promise<ScriptedServer> {
    for (let attempt = 1; ; attempt++) {
      const srv = await ScriptedServer.start(handler, address);
      try {
        await srv.listenTcp(answer);
        return srv;
      } catch (err) {
        await srv.close();
        if ((err as { code?: string }).code !== 'EADDRINUSE' || attempt === 20) throw err;
      }
    }
  }

  get address(): string { return this.socket.address().address; }
  get port(): number { return this.socket.address().port; }
  /** As setServers() takes it. */
  get spec(): string { return net.isIPv6(this.address) ? `[${this.address}]:${this.port}` : `${this.address}:${this.port}`; }

  /** Also answers over TCP on the same port (one length-prefixed answer per query). */
  listenTcp(answer: (query: packet.DecodedPacket) => Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((conn) => {
        let buf = Buffer.alloc(0);
        conn.on('data', (d) => {
          buf = Buffer.concat([buf, d]);
          while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
            const len = buf.readUInt16BE(0);
            const q = packet.decode(buf.subarray(2, 2 + len));
            buf = buf.subarray(2 + len);
            this.tcpQueries++;
            const out = answer(q);
            const head = Buffer.alloc(2);
            head.writeUInt16BE(out.length);
            conn.write(Buffer.concat([head, out]));
          }
        });
        conn.on('error', () => undefined);
      });
      server.once('error', reject);
      server.listen(this.port, this.address, () => { this.tcp = server; resolve(); });
    });
  }

  /** Distinct source ports the queries came from. */
  sourcePorts(): Set<number> { return new Set(this.queries.map((q) => q.rinfo.port)); }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.tcp?.close();
      this.socket.close(() => resolve());
    });
  }
}

/** Another UDP socket on the same address (for answers from the wrong port). */
export function otherSocket(address = '127.0.0.1'): Promise<dgram.Socket> {
  return new Promise((resolve) => {
    const s = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    s.bind(0, address, () => resolve(s));
  });
}

// ---- seeded random numbers --------------------------------------------------------------------------------

/** mulberry32: a small deterministic generator, so a failing fuzz run can be repeated from its seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
