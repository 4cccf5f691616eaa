// Hostile arguments to every public method of connections, servers and UDP sockets, picked by a seeded
// generator so that a failure repeats: each call must throw a Node-coded TypeError/RangeError (or the
// caller's own exception, from a getter that throws), or settle a promise whose rejection carries a code.
// Nothing may crash the process, and once everything is closed nothing may stay in flight. The DNS methods
// get the same treatment with a resolver whose only server is a closed local port, and a lookup without
// the hosts file, so that no hostile name reaches the machine's own resolvers.
// A fuzz run of this kind found the 1,025-buffer write that stalled on Linux and failed under Wine.
import * as assert from 'node:assert/strict';
import * as util from 'node:util';
import { connect, createLookup, createUdpSocket, engineStats, listen, Resolver } from '../lib';
import { deadPort } from './udp-helpers';

/** mulberry32: a small seeded generator, so that the same calls are made on every run. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OWN_ERROR = 'thrown by the caller\'s own getter';

function detachedView(): Uint8Array {
  const view = new Uint8Array(16);
  structuredClone(view.buffer, { transfer: [view.buffer] });
  return view;
}

function hostileValues(): unknown[] {
  const throwing = new Proxy({}, {
    get() { throw new Error(OWN_ERROR); },
    has() { throw new Error(OWN_ERROR); },
    ownKeys() { throw new Error(OWN_ERROR); },
  });
  return [undefined, null, -1, 0, 1, 65535, 65536, 2 ** 31, 2 ** 53, NaN, Infinity, -0, '', 'x', '127.0.0.1', '::1',
    '999.1.1.1', 'a'.repeat(300), {}, [], [1], [new Uint8Array(0)], [detachedView()], Symbol('s'), 10n, () => {},
    throwing, { length: 2 ** 32 - 1 }, detachedView(), new Uint8Array(8), new DataView(new ArrayBuffer(4)),
    new Float64Array(2), Array(1500).fill(new Uint8Array(1)), { port: 1 }, { port: 0, host: '127.0.0.1' },
    { signal: 5 }, { timeout: -5 }, { timeout: 2 ** 40 }, { timeout: 1 }, { maxBytes: 0 }, { maxBytes: 2 ** 40 },
    new Proxy([new Uint8Array(2)], {}), Object.create(null)];
}

function checkThrown(err: unknown, call: string): void {
  const e = err as { code?: unknown; message?: unknown };
  if (err instanceof Error && e.message === OWN_ERROR) return;
  assert.ok(err instanceof TypeError || err instanceof RangeError || err instanceof Error, `${call} threw a non-Error: ${util.inspect(err)}`);
  assert.equal(typeof e.code, 'string', `${call} threw without a code: ${util.inspect(err)}`);
  assert.match(e.code as string, /^ERR_/, `${call} threw ${String(e.code)}`);
}

function checkRejected(err: unknown, call: string): void {
  const e = err as { code?: unknown; message?: unknown };
  assert.ok(err instanceof Error, `${call} rejected with a non-Error: ${util.inspect(err)}`);
  if (e.message === OWN_ERROR) return;
  assert.equal(typeof e.code, 'string', `${call} rejected without a code: ${util.inspect(err)}`);
}

/** Makes one call: a throw must be a coded error (checked here); a promise the call returns is handed back. */
function attempt(name: string, call: () => unknown): Promise<unknown> | undefined {
  try {
    const result = call();
    return result instanceof Promise ? result : undefined;
  } catch (err) {
    checkThrown(err, name);
    return undefined;
  }
}

describe('hostile arguments to the public API (seeded)', () => {
  it('every call throws a coded error or settles; nothing crashes, nothing stays in flight', async function () {
    this.timeout(120_000);
    const random = seeded(20261121);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    const arg = (): never => pick(hostileValues()) as never;
    const server = await listen({ host: '127.0.0.1', port: 0 });
    const port = server.address().port;
    let calls = 0;
    for (let round = 0; round < 25; round++) {
      const accepting = server.accept({ timeout: 5000 });
      const client = await connect({ host: '127.0.0.1', port });
      const peer = await accepting;
      const udp = await createUdpSocket({ type: 'udp4', address: '127.0.0.1' });
      const methods: Array<[string, () => unknown]> = [
        ['read', () => client.read(arg(), arg())], ['readv', () => client.readv(arg(), arg())],
        ['readChunk', () => client.readChunk(arg())], ['write', () => client.write(arg(), arg())],
        ['peer.write', () => peer.write(arg())], ['peer.read', () => peer.read(arg())],
        ['setNoDelay', () => client.setNoDelay(arg())], ['setKeepAlive', () => client.setKeepAlive(arg(), arg())],
        ['setReceiveBufferSize', () => client.setReceiveBufferSize(arg())],
        ['setSendBufferSize', () => client.setSendBufferSize(arg())],
        ['connect', () => connect(arg())], ['listen', () => listen(arg())],
        ['udp.send', () => udp.send(arg(), arg(), arg(), arg())], ['udp.recv', () => udp.recv(arg(), arg())],
        ['udp.recvMessage', () => udp.recvMessage(arg())], ['udp.connect', () => udp.connect(arg(), arg())],
        ['udp.setTTL', () => udp.setTTL(arg())], ['udp.addMembership', () => udp.addMembership(arg(), arg())],
        ['udp.setMulticastInterface', () => udp.setMulticastInterface(arg())],
        ['udp.setBroadcast', () => udp.setBroadcast(arg())], ['createUdpSocket', () => createUdpSocket(arg())],
        ['new Resolver', () => new Resolver(arg())], ['shutdown', () => client.shutdown()],
      ];
      const settling: Array<Promise<void>> = [];
      const opened: Array<{ close(): Promise<void> }> = [];
      for (let i = 0; i < 40; i++) {
        const [name, call] = pick(methods);
        calls++;
        const result = attempt(name, call);
        if (result !== undefined) {
          settling.push(result.then((value: unknown) => {
            // Whatever a call opened (a listener, a connection, a socket) is closed with the rest.
            const closable = value as { close?: () => Promise<void> } | undefined;
            if (typeof closable?.close === 'function') opened.push(closable as { close(): Promise<void> });
          }, (err: unknown) => checkRejected(err, name)));
        }
      }
      // Calls that connect or listen settle by themselves; reads and receives settle when their socket closes.
      await new Promise((r) => setTimeout(r, 50));
      await Promise.all([client.close(), peer.close(), udp.close()]);
      await Promise.all(settling);
      await Promise.all(opened.map((o) => o.close()));
    }
    await server.close();
    assert.ok(calls >= 1000);
    assert.equal(engineStats().opsInFlight, 0);
  });

  it('the same for the resolver and lookup: coded errors, every query settles, nothing stays in flight', async function () {
    this.timeout(120_000);
    const random = seeded(20261122);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    const arg = (): never => pick(hostileValues()) as never;
    const resolver = new Resolver({ servers: [`127.0.0.1:${await deadPort('udp4')}`], timeout: 100, tries: 1, cache: false });
    const lookup = createLookup({ resolver, hostsFile: false, search: [] });
    const methods: Array<[string, () => unknown]> = [
      ['resolve', () => resolver.resolve(arg(), arg())], ['resolve4', () => resolver.resolve4(arg(), arg())],
      ['resolve6', () => resolver.resolve6(arg(), arg())], ['resolveAny', () => resolver.resolveAny(arg())],
      ['resolveMx', () => resolver.resolveMx(arg())], ['resolveTxt', () => resolver.resolveTxt(arg())],
      ['resolveSrv', () => resolver.resolveSrv(arg())], ['resolveCaa', () => resolver.resolveCaa(arg())],
      ['reverse', () => resolver.reverse(arg())], ['getServers', () => resolver.getServers()],
      ['lookup', () => lookup(arg(), arg())],
    ];
    const settling: Array<Promise<void>> = [];
    let calls = 0;
    for (let i = 0; i < 600; i++) {
      const [name, call] = pick(methods);
      calls++;
      const result = attempt(name, call);
      if (result !== undefined) settling.push(result.then(() => undefined, (err: unknown) => checkRejected(err, name)));
      if (i % 100 === 99) await Promise.all(settling.splice(0));  // each query ends by its 100 ms timeout at the latest
    }
    await Promise.all(settling);
    resolver.cancel();
    assert.equal(calls, 600);
    assert.equal(engineStats().opsInFlight, 0);
  });
});
