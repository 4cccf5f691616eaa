// The resolver's network side: connected UDP sockets per server, retransmission, answer checking, and the
// switch to TCP for truncated answers.
//
// Sockets. Each server has one current connected UDP socket ("channel"). After `udpMaxQueries` queries it is
// retired (it stays open only until its outstanding queries end) and the next query opens a new one, so the
// source port keeps changing, as c-ares' udp_max_queries does. An idle socket closes after `idleTimeout`.
// A socket reads only while it has queries outstanding: the pending recv() is aborted when the last one ends.
// A query is sent only once that recv() is posted, so that an ICMP refusal cannot arrive before it.
//
// Answers. Query IDs are random (crypto.randomFillSync), unique among a socket's outstanding queries. A
// datagram is accepted only if it comes from the server the socket is connected to, carries the ID of a
// query outstanding on that socket, is a response that parses, and repeats the question (name compared
// without regard to ASCII case, type and class exact). Everything else is dropped and counted (stats.ts);
// the query goes on waiting for the real answer.
//
// Retransmission, as nginx's resolver does it: the first try goes to the first server (or the next in turn
// with `rotate`), and every `timeout` ms without an answer the query is sent again to the next server in the
// list. It gives up after `tries` tries per server (so tries × servers sends; tries and timeout mean what
// they mean for dns.promises.Resolver) or after `totalTimeout` ms in all (nginx's resolver_timeout, default
// 30 s), whichever comes first. An answer to any earlier try of the same query is still accepted. A try that
// fails at once (ICMP port unreachable, SERVFAIL, REFUSED, NOTIMP) moves to the next server without waiting.
// A FORMERR to a query with EDNS0 from a server that does not echo an OPT record is repeated to the same
// server without EDNS0, and that server is asked without it from then on. A truncated answer (TC) is asked
// again over TCP (tcp.ts) from the same server; UDP retransmission pauses meanwhile.
import { randomFillSync } from 'node:crypto';
import * as net from 'node:net';
import type { ServerAddress } from './config';
import {
  CLASS_IN, RCODE, TYPE, encodeQuery, parseMessage, sameName, type DnsMessage, type QueryType,
} from './codec';
import { Deadlines, type Deadline } from './deadlines';
import { QueryFailure, type DnsErrorCode } from './errors';
import type { Counters } from './stats';
import { tcpExchange } from './tcp';
import { SENT } from '../udp';
import { udpSocketFactory } from './udp-factory';

export interface RecvResult { bytes: number; address: string; port: number; family: string; truncated: boolean }

/** A UDP socket connected to one DNS server: the part of the addon's UdpSocket (createUdpSocket, then connect)
 *  the transport uses, so a factory may supply something else (tests wrap it). */
export interface DatagramSocket {
  send(data: Uint8Array | Uint8Array[], opts?: { signal?: AbortSignal }): Promise<void>;
  recv(buf: Uint8Array, opts?: { signal?: AbortSignal; timeout?: number }): Promise<RecvResult>;
  close(): Promise<void>;
}

/** Opens a new connected UDP socket (on a new ephemeral port) to `server`. */
export type DatagramSocketFactory = (server: ServerAddress) => Promise<DatagramSocket>;

/** The factory a Resolver uses unless told otherwise: the addon's UDP sockets (udp-factory.ts). */
export const defaultSocketFactory: DatagramSocketFactory = udpSocketFactory;

export interface TransportOptions {
  /** ms to wait for an answer before sending again (to the next server). */
  timeout: number;
  /** Tries per server. */
  tries: number;
  /** ms a query may take in all. */
  totalTimeout: number;
  rotate: boolean;
  /** Queries sent on one socket before it is replaced (0: never). */
  udpMaxQueries: number;
  edns: boolean;
  /** Repeat truncated answers over TCP (default true); when false, a truncated answer is used as it is. */
  tcp: boolean;
  socketFactory: DatagramSocketFactory;
  /** ms an idle socket stays open. */
  idleTimeout: number;
}

export interface Question { name: string; type: QueryType }

/** How a query ended: with the accepted answer, or with a QueryFailure. */
export type QueryEnd = (answer: DnsMessage | undefined, failure: QueryFailure | undefined) => void;

const RECV_BUFFER = 65536;
const MAX_SPARE_BUFFERS = 4;
const DONE_IDS_KEPT = 1024;

// Query IDs from a cryptographic source, drawn in batches.
const idPool = new Uint16Array(256);
let idPos = idPool.length;
function randomId(): number {
  if (idPos >= idPool.length) {
    randomFillSync(idPool);
    idPos = 0;
  }
  return idPool[idPos++];
}

const serverKey = (s: ServerAddress): string => `${s.address}|${s.port}`;

function failureCode(err: unknown): DnsErrorCode {
  const code = (err as { code?: unknown })?.code;
  if (code === 'ETIMEDOUT') return 'ETIMEOUT';
  if (code === 'EBADRESP' || code === 'EOF') return code;
  // Any other socket failure (refused, unreachable, reset) is what c-ares calls ECONNREFUSED.
  return 'ECONNREFUSED';
}

/** Why a channel stops its pending recv: one shared reason, since abort() without one builds a DOMException. */
const STOP_READING = Object.freeze({ reason: 'the resolver stopped reading: no query is outstanding' });

interface Attempt { query: Query; id: number; channel: Channel; server: ServerAddress; edns: boolean }

/** One connected UDP socket to one server and the queries outstanding on it. */
class Channel {
  readonly server: ServerAddress;
  readonly pending = new Map<number, Attempt>();
  sent = 0;
  retired = false;
  /** Tries handed this socket (by Transport.acquire) that are not registered yet: it must stay open for them. */
  #reserved = 0;
  /** IDs of tries allocated before the socket was open and not registered yet (see allocId()). */
  #waitingIds: Set<number> | undefined;
  readonly #transport: Transport;
  readonly #done = new Set<number>();
  readonly #source: net.BlockList;
  #sourceText: string;
  #socket: Promise<DatagramSocket> | undefined;
  /** The socket, once open: a query on an open channel goes out without waiting for a promise. */
  socket: DatagramSocket | undefined;
  #reading = false;
  #reader: AbortController | undefined;
  /** A recv() is posted now; and the sends waiting for that (recvPosted()). */
  #recvPosted = false;
  #postWaiters: Array<() => void> = [];
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(transport: Transport, server: ServerAddress) {
    this.#transport = transport;
    this.server = server;
    this.#source = new net.BlockList();
    this.#source.addAddress(server.address.replace(/%.*$/, ''), server.family === 6 ? 'ipv6' : 'ipv4');
    this.#sourceText = server.address;
  }

  open(): Promise<DatagramSocket> {
    if (this.#socket === undefined) {
      this.#socket = this.#transport.options.socketFactory(this.server);
      this.#socket.then((sock) => {
        this.socket = sock;
        this.#transport.counters.add('socketsOpened');
      }, () => this.retire());
    }
    return this.#socket;
  }

  /** A fresh random ID not in use on this socket: neither outstanding nor given to a try that waits for the
   *  socket to open (two of those with one ID would take each other's answer). */
  allocId(): number {
    let id = randomId();
    for (let i = 0; i < 64 && (this.pending.has(id) || this.#waitingIds?.has(id) === true); i++) id = randomId();
    this.#done.delete(id);
    if (this.socket === undefined) (this.#waitingIds ??= new Set()).add(id);
    return id;
  }

  /** Counts a try that will use this socket (Transport.acquire); register() or release() ends it. */
  reserve(): void {
    this.#reserved++;
    this.sent++;
  }

  /** A reserved try that will not be sent after all. */
  release(id: number): void {
    this.#waitingIds?.delete(id);
    this.#reserved--;
    this.#maybeIdle();
  }

  register(a: Attempt): void {
    this.#waitingIds?.delete(a.id);
    this.#reserved--;
    this.pending.set(a.id, a);
    if (this.#idleTimer !== undefined) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    if (!this.#reading) void this.#readLoop();
  }

  /** Undefined when the socket's recv() is posted (or nothing reads: the reader stopped), else a promise of
   *  that. A query is sent only then: under Wine an ICMP port unreachable that arrives before a recv is
   *  posted is lost, and a refused server would cost a whole timeout instead of failing at once. */
  recvPosted(): Promise<void> | undefined {
    if (this.#recvPosted || !this.#reading) return undefined;
    return new Promise((resolve) => this.#postWaiters.push(resolve));
  }

  #wakeSenders(): void {
    if (this.#postWaiters.length === 0) return;
    const waiters = this.#postWaiters;
    this.#postWaiters = [];
    for (const wake of waiters) wake();
  }

  /** The attempt's query is over: later answers to it count as late. */
  abandon(a: Attempt): void {
    if (this.pending.get(a.id) !== a) return;
    this.pending.delete(a.id);
    this.#markDone(a.id);
    this.#maybeIdle();
  }

  retire(): void {
    this.retired = true;
    this.#transport.forget(this);
    if (this.pending.size === 0 && this.#reserved === 0) void this.close();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.retired = true;
    this.#transport.forget(this);
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#reader?.abort(STOP_READING);
    if (this.#socket === undefined) return;   // never opened
    let sock: DatagramSocket;
    try {
      sock = await this.#socket;
    } catch {
      return;   // could not be opened
    }
    await sock.close().catch(() => undefined);
    this.#transport.counters.add('socketsClosed');
  }

  #markDone(id: number): void {
    this.#done.add(id);
    if (this.#done.size > DONE_IDS_KEPT) this.#done.delete(this.#done.values().next().value as number);
  }

  #maybeIdle(): void {
    if (this.pending.size > 0 || this.#reserved > 0) return;
    this.#reader?.abort(STOP_READING);   // stop reading: nothing is expected
    if (this.retired) {
      void this.close();
    } else if (this.#idleTimer === undefined && !this.#closed) {
      this.#idleTimer = setTimeout(() => {
        this.#idleTimer = undefined;
        if (this.pending.size === 0 && this.#reserved === 0) this.retire();
      }, this.#transport.options.idleTimeout);
      this.#idleTimer.unref();
    }
  }

  async #readLoop(): Promise<void> {
    this.#reading = true;
    const buf = this.#transport.takeBuffer();
    try {
      const sock = this.socket ?? await this.open();
      let ac = new AbortController();
      let opts = { signal: ac.signal };
      while (this.pending.size > 0 && !this.#closed) {
        // One controller for as long as it is not used: a new one (and a new signal) per datagram cost
        // more than parsing the answer.
        if (ac.signal.aborted) {
          ac = new AbortController();
          opts = { signal: ac.signal };
        }
        this.#reader = ac;
        let r: RecvResult;
        try {
          const received = sock.recv(buf, opts);
          this.#recvPosted = true;
          this.#wakeSenders();
          r = await received;
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          if (code === 'ABORT_ERR') continue;   // the loop condition decides
          if (code === 'ERR_SOCKET_CLOSED' || this.#closed) break;
          this.#failAll(failureCode(err));
          break;
        } finally {
          this.#recvPosted = false;
        }
        this.#handle(buf, r);
      }
    } catch (err) {
      this.#failAll(failureCode(err));   // the socket could not be opened
    } finally {
      this.#reading = false;
      this.#reader = undefined;
      this.#transport.giveBuffer(buf);
      this.#wakeSenders();   // they find their attempt failed, or send without a reader
    }
  }

  /** The socket failed (ICMP port unreachable, typically): every query on it moves on, and it is replaced. */
  #failAll(code: DnsErrorCode): void {
    const attempts = [...this.pending.values()];
    this.pending.clear();
    for (const a of attempts) this.#markDone(a.id);
    this.retire();
    for (const a of attempts) a.query.attemptFailed(a, code);
  }

  /** The datagram in `buf` (its first r.bytes bytes, parsed in place: nothing keeps a reference to buf). */
  #handle(buf: Buffer, r: RecvResult): void {
    const counters = this.#transport.counters;
    if (r.truncated) return counters.add('droppedTruncated');
    if (r.port !== this.server.port) return counters.add('droppedWrongSource');
    if (r.address !== this.#sourceText) {
      // Another spelling of the server's address (IPv6 forms, a scope) or another host: ask the BlockList.
      const family = r.family === 'IPv6' || r.family === '6' || net.isIPv6(r.address) ? 'ipv6' : 'ipv4';
      const bare = r.address.replace(/%.*$/, '');
      if (!net.isIP(bare) || !this.#source.check(bare, family)) return counters.add('droppedWrongSource');
      this.#sourceText = r.address;   // the spelling this socket reports: compared directly from now on
    }
    if (r.bytes < 12) return counters.add('droppedMalformed');
    const id = (buf[0] << 8) | buf[1];
    const a = this.pending.get(id);
    if (a === undefined) return counters.add(this.#done.has(id) ? 'droppedLate' : 'droppedWrongId');
    let msg: DnsMessage;
    try {
      msg = parseMessage(buf, r.bytes);
    } catch {
      a.query.sawMalformed = true;
      return counters.add('droppedMalformed');
    }
    if (!msg.qr) return counters.add('droppedMalformed');
    if (!a.query.asks(msg)) return counters.add('droppedWrongQuestion');
    this.pending.delete(id);
    this.#markDone(id);
    counters.add('accepted');
    a.query.onAnswer(a, msg);
    this.#maybeIdle();
  }
}

/** One network query (all tries of it). */
class Query implements Deadline {
  readonly question: Question;
  sawMalformed = false;
  readonly #t: Transport;
  readonly #servers: ServerAddress[];
  readonly #maxAttempts: number;
  readonly #start: number;
  readonly #deadline: number;
  /** Cancels the TCP fallback when the query ends; made only for that (an AbortController and the
   *  DOMException of its abort() cost more than the rest of a cached answer). */
  #ac: AbortController | undefined;
  /** Tries that may still be answered (made on the first: most queries have one, and [a] holds exactly one). */
  #attempts: Attempt[] | undefined;
  #made = 0;
  #current: Attempt | undefined;
  #currentPending = false;   // the newest try has not failed or been answered yet
  #lastError: DnsErrorCode | undefined;
  // Its place in the transport's Deadlines (deadlines.ts): when to send again, or give up.
  due = 0;
  prev: Deadline | undefined;
  next: Deadline | undefined;
  linked = false;
  /** The pending deadline is the end of the total budget, not a resend. */
  #lastByBudget = false;
  #tcpInFlight = false;
  #ednsRetried = false;
  #finished = false;
  readonly #onEnd: QueryEnd;

  constructor(t: Transport, question: Question, servers: ServerAddress[], start: number, onEnd: QueryEnd) {
    this.#t = t;
    this.#onEnd = onEnd;
    this.question = question;
    this.#servers = servers;
    this.#maxAttempts = t.options.tries * servers.length;
    this.#start = start;
    this.#deadline = Date.now() + t.options.totalTimeout;
  }

  begin(): void {
    this.#next();
  }

  /** Gives up at once with ECANCELLED (late answers then count as late). */
  cancel(): void {
    this.#fail('ECANCELLED');
  }

  /** Whether an answer repeats our question. A FORMERR may come without one (RFC 6891 §7). */
  asks(msg: DnsMessage): boolean {
    if (msg.questions.length === 0) return msg.rcode === RCODE.FORMERR;
    if (msg.questions.length !== 1) return false;
    const q = msg.questions[0];
    return q.type === TYPE[this.question.type] && q.class === CLASS_IN && sameName(q.name, this.question.name);
  }

  /** Why the query failed in the end: the last try's failure; a timeout becomes EBADRESP if the only
   *  "answers" were malformed. */
  #finalCode(): DnsErrorCode {
    const code = this.#lastError ?? 'ETIMEOUT';
    return code === 'ETIMEOUT' && this.sawMalformed ? 'EBADRESP' : code;
  }

  /** Sends the next try, or gives up when there is none left. */
  #next(): void {
    if (this.#finished) return;
    this.#t.deadlines.remove(this);
    if (this.#made >= this.#maxAttempts) return this.#fail(this.#finalCode());
    // One timer per query, not two: the resend timer also ends the total budget (its delay is cut to what
    // is left of it), and the TCP fallback's own timeout stops at the deadline too.
    const left = this.#deadline - Date.now();
    if (left <= 0) return this.#fail(this.#finalCode());
    const server = this.#servers[(this.#start + this.#made) % this.#servers.length];
    if (this.#made > 0) this.#t.counters.add('retransmissions');
    this.#made++;
    this.#currentPending = true;
    this.#current = undefined;
    void this.#send(server, this.#t.useEdns(server), true);
    this.#lastByBudget = left <= this.#t.options.timeout;
    this.#t.deadlines.add(this, this.#lastByBudget ? left : this.#t.options.timeout);
  }

  /** The deadline passed without an answer: send again, or give up when the budget is spent. */
  expire(): void {
    if (this.#currentPending) this.#lastError = 'ETIMEOUT';
    if (this.#lastByBudget) this.#fail(this.#finalCode());   // (a timer may fire a ms early)
    else this.#next();
  }

  /** Sends one try. On an open channel whose recv() is posted (the usual case under load) it goes out at
   *  once, with no promise to wait for. */
  #send(server: ServerAddress, edns: boolean, isCurrent: boolean): void {
    const ch = this.#t.acquire(server);
    const a: Attempt = { query: this, id: ch.allocId(), channel: ch, server, edns };
    if (isCurrent) this.#current = a;
    if (ch.socket !== undefined) this.#register(a, ch.socket);
    else void this.#sendWhenOpen(a);
  }

  async #sendWhenOpen(a: Attempt): Promise<void> {
    let sock: DatagramSocket;
    try {
      sock = await a.channel.open();
    } catch (err) {
      a.channel.release(a.id);
      return this.attemptFailed(a, failureCode(err));
    }
    if (this.#finished) return a.channel.release(a.id);
    this.#register(a, sock);
  }

  #register(a: Attempt, sock: DatagramSocket): void {
    const ch = a.channel;
    if (this.#attempts === undefined) this.#attempts = [a];
    else this.#attempts.push(a);
    ch.register(a);
    // The recv first, then the query (see Channel.recvPosted()).
    const posted = ch.recvPosted();
    if (posted === undefined) return this.#transmit(a, sock);
    void posted.then(() => {
      if (!this.#finished && ch.pending.get(a.id) === a) this.#transmit(a, sock);   // else failed or answered meanwhile
    });
  }

  #transmit(a: Attempt, sock: DatagramSocket): void {
    // Counted when handed over, taken back if the send fails: most sends complete at once (the addon's
    // shared resolved promise, SENT), and a reaction to count them cost two closures and a promise each.
    this.#t.counters.add('udpSent');
    let sent: Promise<void>;
    try {
      sent = sock.send(encodeQuery(a.id, this.question.name, this.question.type, a.edns));
    } catch (err) {
      return this.#sendFailed(a, err);
    }
    if (sent !== SENT) sent.then(undefined, (err: unknown) => this.#sendFailed(a, err));
  }

  #sendFailed(a: Attempt, err: unknown): void {
    this.#t.counters.add('udpSent', -1);
    a.channel.abandon(a);
    a.channel.retire();
    this.attemptFailed(a, failureCode(err));
  }

  /** A try failed without an answer worth waiting for: record why; if it was the newest, move on now. */
  attemptFailed(a: Attempt, code: DnsErrorCode): void {
    this.#forget(a);
    if (this.#finished) return;
    this.#lastError = code;
    if (a === this.#current && this.#currentPending && !this.#tcpInFlight) {
      this.#currentPending = false;
      this.#next();
    }
  }

  onAnswer(a: Attempt, msg: DnsMessage): void {
    this.#forget(a);
    if (this.#finished) return;
    if (msg.tc && this.#t.options.tcp) {
      if (!this.#tcpInFlight) void this.#overTcp(a.server);
      return;
    }
    this.#handleAnswer(a, msg);
  }

  #handleAnswer(a: Attempt | undefined, msg: DnsMessage, server = a?.server): void {
    if (msg.rcode === RCODE.FORMERR && a?.edns && msg.edns === undefined && !this.#ednsRetried && server) {
      // The server does not know EDNS0: ask it again without, now, and remember.
      this.#ednsRetried = true;
      this.#t.noEdns(server);
      this.#t.counters.add('ednsFallbacks');
      void this.#send(server, false, a === this.#current);
      return;
    }
    const failed: DnsErrorCode | undefined =
      msg.rcode === RCODE.SERVFAIL ? 'ESERVFAIL' : msg.rcode === RCODE.REFUSED ? 'EREFUSED'
        : msg.rcode === RCODE.NOTIMP ? 'ENOTIMP' : msg.rcode === RCODE.FORMERR ? 'EFORMERR' : undefined;
    if (failed === undefined) return this.#finish(msg);
    if (a !== undefined) return this.attemptFailed(a, failed);
    this.#lastError = failed;   // over TCP
    this.#currentPending = false;
    this.#next();
  }

  async #overTcp(server: ServerAddress): Promise<void> {
    this.#tcpInFlight = true;
    this.#t.deadlines.remove(this);
    const counters = this.#t.counters;
    counters.add('tcpQueries');
    const id = randomId();
    const edns = this.#t.useEdns(server);
    let msg: DnsMessage | undefined;
    let code: DnsErrorCode = 'EBADRESP';
    try {
      const timeout = Math.max(1, Math.min(this.#t.options.timeout, this.#deadline - Date.now()));
      const raw = await tcpExchange(server, encodeQuery(id, this.question.name, this.question.type, edns),
        { timeout, signal: (this.#ac ??= new AbortController()).signal });
      const m = parseMessage(raw);
      if (m.id !== id) counters.add('droppedWrongId');
      else if (!m.qr) counters.add('droppedMalformed');
      else if (!this.asks(m)) counters.add('droppedWrongQuestion');
      else msg = m;
    } catch (err) {
      if ((err as { code?: unknown }).code === 'EBADRESP') {
        counters.add('droppedMalformed');
        this.sawMalformed = true;
      } else {
        code = failureCode(err);
      }
    }
    this.#tcpInFlight = false;
    if (this.#finished) return;
    if (msg !== undefined) {
      counters.add('accepted');
      // A truncated answer over TCP is used as it is.
      return this.#handleAnswer(undefined, msg, server);
    }
    counters.add('tcpFailures');
    this.#lastError = code;
    this.#currentPending = false;
    this.#next();
  }

  #forget(a: Attempt): void {
    const list = this.#attempts;
    if (list === undefined) return;
    if (list.length === 1 && list[0] === a) {
      this.#attempts = undefined;
      return;
    }
    const i = list.indexOf(a);
    if (i >= 0) list.splice(i, 1);
  }

  #finish(msg: DnsMessage): void {
    if (!this.#end()) return;
    this.#onEnd(msg, undefined);
  }

  #fail(code: DnsErrorCode): void {
    if (!this.#end()) return;
    if (code === 'ETIMEOUT') this.#t.counters.add('timeouts');
    this.#onEnd(undefined, new QueryFailure(code));
  }

  #end(): boolean {
    if (this.#finished) return false;
    this.#finished = true;
    this.#t.deadlines.remove(this);
    this.#ac?.abort();
    const attempts = this.#attempts;
    this.#attempts = undefined;
    if (attempts !== undefined) for (const a of attempts) a.channel.abandon(a);
    return true;
  }
}

export class Transport {
  readonly options: TransportOptions;
  readonly counters: Counters;
  readonly deadlines = new Deadlines();
  /** Current channel per server object (the resolver's server list keeps its objects until setServers()). */
  readonly #channels = new Map<ServerAddress, Channel>();
  /** Receive buffers of channels that stopped reading, for the next to start: a socket is replaced every
   *  udpMaxQueries queries, and 64 KiB allocated per socket weighed on the garbage collector. */
  readonly #spareBuffers: Buffer[] = [];
  readonly #noEdns = new Set<string>();
  #rotor = 0;

  constructor(options: TransportOptions, counters: Counters) {
    this.options = options;
    this.counters = counters;
  }

  /** Sends `question` to `servers` until one answers, then calls `onEnd` once: with the accepted answer
   *  (NOERROR, NXDOMAIN or an RCODE the caller must judge), or with a QueryFailure (ETIMEOUT, ECONNREFUSED,
   *  ESERVFAIL, EREFUSED, ENOTIMP, EFORMERR, EBADRESP; ECANCELLED after cancel(); ENOSERVERS without
   *  servers). It may be called before start() returns. A callback rather than a promise: the resolver
   *  settles each waiting caller's own promise from it, with no promise or reaction of the query's own. */
  start(question: Question, servers: ServerAddress[], onEnd: QueryEnd): { cancel(): void } {
    if (servers.length === 0) {
      onEnd(undefined, new QueryFailure('ENOSERVERS'));
      return { cancel(): void {} };
    }
    this.counters.add('queries');
    const start = this.options.rotate ? this.#rotor++ % servers.length : 0;
    const q = new Query(this, question, servers, start, onEnd);
    q.begin();
    return q;
  }

  /** The socket for the next query to `server`: the current one, or a new one when it has had its share. */
  acquire(server: ServerAddress): Channel {
    let ch = this.#channels.get(server);
    const max = this.options.udpMaxQueries;
    if (ch !== undefined && (ch.retired || (max > 0 && ch.sent >= max))) {
      ch.retire();
      ch = undefined;
    }
    if (ch === undefined) {
      ch = new Channel(this, server);
      this.#channels.set(server, ch);
    }
    ch.reserve();
    return ch;
  }

  /** Drops a retired channel from the table (it closes itself when its last query ends). */
  forget(ch: Channel): void {
    if (this.#channels.get(ch.server) === ch) this.#channels.delete(ch.server);
  }

  useEdns(server: ServerAddress): boolean {
    return this.options.edns && (this.#noEdns.size === 0 || !this.#noEdns.has(serverKey(server)));
  }

  noEdns(server: ServerAddress): void {
    this.#noEdns.add(serverKey(server));
  }

  takeBuffer(): Buffer {
    return this.#spareBuffers.pop() ?? Buffer.allocUnsafe(RECV_BUFFER);
  }

  giveBuffer(buf: Buffer): void {
    if (this.#spareBuffers.length < MAX_SPARE_BUFFERS) this.#spareBuffers.push(buf);
  }

  /** Retires every socket (new queries open new ones); used when the server list changes. */
  retireAll(): void {
    for (const ch of [...this.#channels.values()]) ch.retire();
    this.#noEdns.clear();
  }

  /** Sockets currently open or opening (for tests and diagnostics). */
  get channelCount(): number { return this.#channels.size; }
}
