// The transport against a scripted server doing what real servers do not: wrong IDs, wrong questions,
// answers from elsewhere, late duplicates, garbage, silence; plus retransmission timing, server rotation,
// SERVFAIL failover, the EDNS0 fallback, the TCP fallback, and socket replacement.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import type * as dgram from 'node:dgram';
import * as packet from 'dns-packet';
import { Resolver, type DatagramSocket, type DatagramSocketFactory, type RecvResult } from '../lib';
import { defaultSocketFactory } from '../lib/dns/transport';
import { ScriptedServer, a, otherSocket, response } from './dns-helpers';
import { sleep } from './helpers';

const NAME = 'host.example';

describe('dns transport (scripted server)', function () {
  this.timeout(60000);
  const servers: ScriptedServer[] = [];
  const sockets: dgram.Socket[] = [];
  const start = async (...args: Parameters<typeof ScriptedServer.start>): Promise<ScriptedServer> => {
    const s = await ScriptedServer.start(...args);
    servers.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    for (const s of sockets.splice(0)) s.close();
  });

  it('answers with the right ID, question and source are accepted', async () => {
    const srv = await start((q) => q.reply(response(q, { answers: [a(NAME, '10.0.0.1')] })));
    const r = new Resolver({ servers: [srv.spec], cache: false });
    assert.deepEqual(await r.resolve4(NAME), ['10.0.0.1']);
    assert.equal(r.stats().accepted, 1);
    assert.equal(srv.queries.length, 1);
    assert.equal(srv.queries[0].edns, true);
    assert.equal(srv.queries[0].packet.flag_rd, true);
  });

  it('an answer with the wrong ID is dropped and counted; the right one is then accepted', async () => {
    const srv = await start((q) => {
      q.reply(response(q, { id: ((q.packet.id ?? 0) + 1) & 0xffff, answers: [a(NAME, '6.6.6.6')] }));
      setTimeout(() => q.reply(response(q, { answers: [a(NAME, '10.0.0.1')] })), 30);
    });
    const r = new Resolver({ servers: [srv.spec], cache: false });
    assert.deepEqual(await r.resolve4(NAME), ['10.0.0.1']);
    assert.equal(r.stats().droppedWrongId, 1);
  });

  it('an answer to another question (name, type) is dropped and counted', async () => {
    const srv = await start((q) => {
      q.reply(response(q, { questions: [{ name: 'other.example', type: 'A' }], answers: [a('other.example', '6.6.6.6')] }));
      q.reply(response(q, { questions: [{ name: NAME, type: 'AAAA' }], answers: [a(NAME, '6.6.6.7')] }));
      setTimeout(() => q.reply(response(q, { answers: [a(NAME, '10.0.0.1')] })), 30);
    });
    const r = new Resolver({ servers: [srv.spec], cache: false });
    assert.deepEqual(await r.resolve4(NAME), ['10.0.0.1']);
    assert.equal(r.stats().droppedWrongQuestion, 2);
  });

  it('the question\'s name is compared without regard to case', async () => {
    const srv = await start((q) => q.reply(response(q, { questions: [{ name: NAME.toUpperCase(), type: 'A' }], answers: [a(NAME, '10.0.0.1')] })));
    const r = new Resolver({ servers: [srv.spec], cache: false });
    assert.deepEqual(await r.resolve4(NAME), ['10.0.0.1']);
  });

  it('an answer from another port of the server\'s address is not accepted', async () => {
    const other = await otherSocket();
    sockets.push(other);
    const srv = await start((q) => {
      q.reply(response(q, { answers: [a(NAME, '6.6.6.6')] }), other);   // right ID and question, wrong source
      setTimeout(() => q.reply(response(q, { answers: [a(NAME, '10.0.0.1')] })), 50);
    });
    const r = new Resolver({ servers: [srv.spec], cache: false });
    assert.deepEqual(await r.resolve4(NAME), ['10.0.0.1']);
    // A connected socket never even sees it (the kernel filters); a transport that did would count it.
    assert.equal(r.stats().accepted, 1);
  });

  it('a datagram whose source differs from the server is dropped and counted (socket that does not filter)', async () => {
    const srv = await start((q) => q.reply(response(q, { answers: [a(NAME, '10.0.0.1')] })));
    // A socket that delivers the first datagram twice: first as if it came from 127.0.0.2 (what an
    // unconnected socket could receive), then as it came.
    const factory: DatagramSocketFactory = async (server) => {
      const inner = await defaultSocketFactory(server);
      let held: { r: RecvResult; data: Buffer } | undefined;
      let spoofed = false;
      return {
        send: (d, o) => inner.send(d, o),
        close: () => inner.close(),
        recv: async (buf, o): Promise<RecvResult> => {
          if (held !== undefined) {
            buf.set(held.data);
            const r = held.r;
            held = undefined;
            return r;
          }
          const r = await inner.recv(buf, o);
          if (spoofed) return r;
          spoofed = true;
          held = { r, data: Buffer.from(buf.subarray(0, r.bytes)) };
          return { ...r, address: '127.0.0.2' };
        },
      } satisfies DatagramSocket;
    };
    const r = new Resolver({ servers: [srv.spec], cache: false, socketFactory: factory });
    assert.deepEqual(await r.resolve4(NAME), ['10.0.0.1']);
    assert.equal(r.stats().droppedWrongSource, 1);
    assert.equal(r.stats().accepted, 1);
  });

  it('a late duplicate is dropped and counted as late when the socket reads again', async () => {
    const srv = await start((q) => {
      const ans = response(q, { answers: [a(q.packet.questions![0].name, '10.0.0.1')] });
      q.reply(ans);
      if (q.packet.questions![0].name === NAME) setTimeout(() => q.reply(ans), 20);
    });
    const r = new Resolver({ servers: [srv.spec], cache: false });
    await r.resolve4(NAME);
    await sleep(100);
    await r.resolve4('second.example');   // same socket: reads the duplicate first
    assert.equal(r.stats().droppedLate, 1);
    assert.equal(r.stats().accepted, 2);
  });

  it('garbage with the right ID is dropped (malformed) and the real answer accepted; only garbage gives EBADRESP', async () => {
    let garbageOnly = false;
    const srv = await start((q) => {
      const junk = Buffer.concat([q.raw.subarray(0, 2), Buffer.from([0x81, 0x80, 0xff, 0xff, 0, 1, 2, 3, 4, 5, 6, 7, 8])]);
      q.reply(junk);
      q.reply(Buffer.from([1, 2, 3]));
      if (!garbageOnly) setTimeout(() => q.reply(response(q, { answers: [a(NAME, '10.0.0.1')] })), 30);
    });
    const r = new Resolver({ servers: [srv.spec], cache: false, timeout: 150, tries: 2 });
    assert.deepEqual(await r.resolve4(NAME), ['10.0.0.1']);
    assert.equal(r.stats().droppedMalformed, 2);
    garbageOnly = true;
    await assert.rejects(r.resolve4('other.example'), { code: 'EBADRESP', syscall: 'queryA', hostname: 'other.example' });
  });

  it('silence: re-sends every timeout ms, `tries` times per server, then ETIMEOUT', async () => {
    const srv = await start(() => undefined);
    const r = new Resolver({ servers: [srv.spec], cache: false, timeout: 150, tries: 3 });
    const t0 = Date.now();
    await assert.rejects(r.resolve4(NAME), { code: 'ETIMEOUT', syscall: 'queryA', message: `queryA ETIMEOUT ${NAME}` });
    const took = Date.now() - t0;
    assert.equal(srv.queries.length, 3);
    assert.equal(r.stats().retransmissions, 2);
    assert.equal(r.stats().timeouts, 1);
    assert.ok(took >= 420 && took < 3000, `took ${took} ms for 3 tries of 150 ms`);
    // The tries were about `timeout` apart.
    const ids = srv.queries.map((q) => q.packet.id);
    assert.equal(new Set(ids).size, 3, 'each try has its own random ID');
  });

  it('the total budget ends the query before the tries run out', async () => {
    const srv = await start(() => undefined);
    const r = new Resolver({ servers: [srv.spec], cache: false, timeout: 100, tries: 50, totalTimeout: 450 });
    const t0 = Date.now();
    await assert.rejects(r.resolve4(NAME), { code: 'ETIMEOUT' });
    const took = Date.now() - t0;
    assert.ok(took >= 400 && took < 3000, `took ${took} ms for a budget of 450 ms`);
    assert.ok(srv.queries.length >= 3 && srv.queries.length <= 6, `${srv.queries.length} sends`);
  });

  it('re-sends rotate over the servers; an answer to an earlier try still counts', async () => {
    const silent = await start(() => undefined);
    const slow = await start((q) => {
      setTimeout(() => q.reply(response(q, { answers: [a(NAME, '10.0.0.2')] })), 420);
    });
    const r = new Resolver({ servers: [silent.spec, slow.spec], cache: false, timeout: 300, tries: 3 });
    const t0 = Date.now();
    assert.deepEqual(await r.resolve4(NAME), ['10.0.0.2']);
    const took = Date.now() - t0;
    // Tries: silent (t=0), slow (t=300), silent (t=600). The answer to the try at t=300 arrives at ~720 ms,
    // after a newer try went out and before slow's next one (t=900).
    assert.equal(silent.queries.length, 2);
    assert.equal(slow.queries.length, 1);
    assert.ok(took >= 690, `took ${took} ms`);
    assert.equal(r.stats().retransmissions, 2);
  });

  it('SERVFAIL and REFUSED move on to the next server at once; all failing gives the last code', async () => {
    const failing = await start((q) => q.reply(response(q, { rcode: 2 })));
    const good = await start((q) => q.reply(response(q, { answers: [a(NAME, '10.0.0.3')] })));
    const r = new Resolver({ servers: [failing.spec, good.spec], cache: false, timeout: 5000 });
    const t0 = Date.now();
    assert.deepEqual(await r.resolve4(NAME), ['10.0.0.3']);
    assert.ok(Date.now() - t0 < 2000, 'did not wait for the timeout');
    const refusing = await start((q) => q.reply(response(q, { rcode: 5 })));
    const r2 = new Resolver({ servers: [failing.spec, refusing.spec], cache: false, tries: 2 });
    await assert.rejects(r2.resolve4(NAME), { code: 'EREFUSED' });
    assert.equal(failing.queries.length + refusing.queries.length, 1 + 4, 'tries × servers sends');
  });

  it('a server refusing connections (ICMP port unreachable) gives ECONNREFUSED quickly', async () => {
    const srv = await start(() => undefined);
    const spec = srv.spec;
    await srv.close();
    servers.splice(servers.indexOf(srv), 1);
    const r = new Resolver({ servers: [spec], cache: false, timeout: 300, tries: 2 });
    const t0 = Date.now();
    const err = await r.resolve4(NAME).then(() => ({ code: 'resolved' }), (e: unknown) => e as { code?: string });
    console.log(`      (${err.code} after ${Date.now() - t0} ms)`);
    // Linux, Windows and Wine report the ICMP error to a connected socket's pending recv. Wine loses one that
    // arrives before a recv is posted, so the transport posts the recv first and only then sends the query.
    assert.equal(err.code, 'ECONNREFUSED');
    assert.ok(Date.now() - t0 < 550, 'did not wait for the timeouts');
  });

  it('FORMERR to a query with EDNS0 is repeated without it, and that server is asked without it afterwards', async () => {
    const srv = await start((q) => {
      if (q.edns) q.reply(response(q, { rcode: 1 }));
      else q.reply(response(q, { answers: [a(q.packet.questions![0].name, '10.0.0.4')] }));
    });
    const r = new Resolver({ servers: [srv.spec], cache: false });
    assert.deepEqual(await r.resolve4(NAME), ['10.0.0.4']);
    assert.deepEqual(srv.queries.map((q) => q.edns), [true, false]);
    assert.equal(r.stats().ednsFallbacks, 1);
    assert.deepEqual(await r.resolve4('next.example'), ['10.0.0.4']);
    assert.deepEqual(srv.queries.map((q) => q.edns), [true, false, false]);
  });

  it('a FORMERR without a question section is accepted (and handled as above)', async () => {
    const srv = await start((q) => {
      if (q.edns) q.reply(response(q, { rcode: 1, noQuestion: true }));
      else q.reply(response(q, { answers: [a(NAME, '10.0.0.5')] }));
    });
    const r = new Resolver({ servers: [srv.spec], cache: false });
    assert.deepEqual(await r.resolve4(NAME), ['10.0.0.5']);
  });

  it('a truncated answer is asked again over TCP (our own connect) from the same server', async () => {
    const many = Array.from({ length: 120 }, (_, i) => a(NAME, `10.1.${i >> 8}.${i & 255}`));
    const srv = await ScriptedServer.startWithTcp((q) => q.reply(response(q, { tc: true, answers: many.slice(0, 3) })),
      (query) => packetResponse(query, many));
    servers.push(srv);
    const r = new Resolver({ servers: [srv.spec], cache: false });
    const got = await r.resolve4(NAME);
    assert.equal(got.length, 120);
    assert.equal(srv.tcpQueries, 1);
    assert.equal(r.stats().tcpQueries, 1);
  });

  it('a failing TCP fallback counts as a failed try (then the next try)', async () => {
    const srv = await start((q) => q.reply(response(q, { tc: true, answers: [a(NAME, '10.0.0.9')] })));
    // No TCP listener: connect is refused.
    const r = new Resolver({ servers: [srv.spec], cache: false, tries: 2, timeout: 500 });
    await assert.rejects(r.resolve4(NAME), { code: 'ECONNREFUSED' });
    assert.equal(r.stats().tcpFailures, 2);
  });

  it('sockets are replaced after udpMaxQueries, so the source port changes; IDs are random', async () => {
    const srv = await start((q) => q.reply(response(q, { answers: [a(q.packet.questions![0].name, '10.0.0.1')] })));
    const r = new Resolver({ servers: [srv.spec], cache: false, udpMaxQueries: 3 });
    for (let i = 0; i < 12; i++) await r.resolve4(`n${i}.example`);
    assert.equal(srv.sourcePorts().size, 4, `ports ${[...srv.sourcePorts()].join(', ')}`);
    assert.ok(r.stats().socketsOpened >= 4);
    await sleep(50);
    assert.ok(r.stats().socketsClosed >= 3, 'the retired sockets are closed');
    const ids = srv.queries.map((q) => q.packet.id);
    assert.ok(new Set(ids).size >= 11, `IDs ${ids.join(', ')}`);
  });

  it('an injected socket factory is used for every socket', async () => {
    const srv = await start((q) => q.reply(response(q, { answers: [a(NAME, '10.0.0.1')] })));
    let opened = 0;
    const factory: DatagramSocketFactory = (server) => { opened++; return defaultSocketFactory(server); };
    const r = new Resolver({ servers: [srv.spec], cache: false, socketFactory: factory });
    await r.resolve4(NAME);
    assert.equal(opened, 1);
  });

  it('tries waiting for a socket to open never share an ID (each gets its own answer, none is retransmitted)', async () => {
    const srv = await start((q) => q.reply(response(q, { answers: [a(q.packet.questions![0].name, '10.0.0.1')] })));
    // Every random ID is drawn twice in a row, so a second try drawing while the first still waits for the
    // socket meets its ID at once. The socket opens slowly, so all 100 tries wait for it (more at once
    // would overflow the scripted server's receive buffer).
    const realFill = crypto.randomFillSync;
    let next = 1;
    (crypto as { randomFillSync: unknown }).randomFillSync = <T extends NodeJS.ArrayBufferView>(buf: T): T => {
      const ids = new Uint16Array(buf.buffer, buf.byteOffset, buf.byteLength / 2);
      for (let i = 0; i < ids.length; i++) ids[i] = next + (i >> 1);
      next += ids.length / 2;
      return buf;
    };
    try {
      const factory: DatagramSocketFactory = async (server) => {
        await sleep(50);
        return defaultSocketFactory(server);
      };
      const r = new Resolver({ servers: [srv.spec], cache: false, udpMaxQueries: 0, timeout: 3000, socketFactory: factory });
      const names = Array.from({ length: 100 }, (_, i) => `h${i}.example`);
      const answers = await Promise.all(names.map((n) => r.resolve4(n)));
      assert.deepEqual(answers, names.map(() => ['10.0.0.1']));
      const stats = r.stats();
      assert.equal(stats.droppedWrongQuestion, 0);
      assert.equal(stats.retransmissions, 0);
      assert.equal(srv.queries.length, 100);
      assert.equal(new Set(srv.queries.map((q) => q.packet.id)).size, 100, 'every try had its own ID');
    } finally {
      (crypto as { randomFillSync: unknown }).randomFillSync = realFill;
    }
  });

  it('no servers at all: ENOSERVERS with a message saying how to give them', async () => {
    const r = new Resolver({ servers: [] });
    await assert.rejects(r.resolve4(NAME), { code: 'ENOSERVERS', message: /setServers/ });
  });
});

function packetResponse(query: packet.DecodedPacket, answers: packet.Answer[]): Buffer {
  return packet.encode({ type: 'response', id: query.id, flags: packet.RECURSION_AVAILABLE | packet.RECURSION_DESIRED, questions: query.questions, answers });
}
