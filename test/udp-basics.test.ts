import * as assert from 'node:assert/strict';
import { createUdpSocket, engineStats, type UdpType } from '../lib';
import { closeAll, LOOPBACK, udpPair } from './udp-helpers';

describe('UDP round trips', () => {
  for (const type of ['udp4', 'udp6'] as UdpType[]) {
    it(`${type}: unconnected send(data, port, address) and recv(buf) report the sender`, async () => {
      const [a, b] = await udpPair(type);
      const buf = Buffer.alloc(64);
      const pending = a.recv(buf);   // waits: nothing queued yet
      await b.send('hello', a.address().port, LOOPBACK[type]);
      const r = await pending;
      assert.deepEqual(r, { bytes: 5, address: LOOPBACK[type], port: b.address().port, family: type === 'udp6' ? 'IPv6' : 'IPv4', truncated: false });
      assert.equal(buf.toString('utf8', 0, r.bytes), 'hello');
      // And the other way, with the datagram already queued when recv() starts.
      await a.send(Buffer.from('back'), b.address().port, LOOPBACK[type]);
      const back = await b.recvMessage({ timeout: 20000 });
      assert.equal(back.data.toString(), 'back');
      assert.equal(back.port, a.address().port);
      await closeAll(a, b);
    });

    it(`${type}: connect() then send(data) and recv; remoteAddress() and address()`, async () => {
      const [a, b] = await udpPair(type);
      await b.connect(a.address().port, LOOPBACK[type]);
      assert.equal(b.connected, true);
      assert.deepEqual(b.remoteAddress(), a.address());
      assert.equal(b.address().address, LOOPBACK[type]);
      await b.send('to the peer');
      const got = await a.recvMessage({ timeout: 20000 });
      assert.equal(got.data.toString(), 'to the peer');
      await a.send('reply', b.address().port, LOOPBACK[type]);
      const buf = Buffer.alloc(32);
      const r = await b.recv(buf, { timeout: 20000 });
      assert.equal(buf.toString('utf8', 0, r.bytes), 'reply');
      assert.equal(r.port, a.address().port);
      await closeAll(a, b);
    });
  }

  it('gathers several buffers (and strings) into one datagram; scatters one into several buffers', async () => {
    const [a, b] = await udpPair();
    await b.connect(a.address().port, '127.0.0.1');
    await b.send([Buffer.from('abc'), 'de', new Uint8Array([0x66, 0x67, 0x68, 0x69])]);
    const parts = [Buffer.alloc(4), Buffer.alloc(100)];
    const r = await a.recv(parts, { timeout: 20000 });
    assert.equal(r.bytes, 9);
    assert.equal(parts[0].toString(), 'abcd');
    assert.equal(parts[1].toString('utf8', 0, 5), 'efghi');
    await closeAll(a, b);
  });

  it('a datagram larger than the buffer comes cut, with truncated: true, and the next one is whole', async () => {
    const [a, b] = await udpPair();
    const big = Buffer.alloc(3000);
    for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
    await b.send(big, a.address().port, '127.0.0.1');
    await b.send('small', a.address().port, '127.0.0.1');
    const buf = Buffer.alloc(100);
    const r = await a.recv(buf, { timeout: 20000 });
    assert.equal(r.truncated, true);
    assert.equal(r.bytes, 100);
    assert.deepEqual(buf, big.subarray(0, 100));
    const next = await a.recv(buf, { timeout: 20000 });
    assert.deepEqual({ bytes: next.bytes, truncated: next.truncated }, { bytes: 5, truncated: false });
    // The same while waiting (the zero-byte peek on Windows), and with recvMessage's maxBytes.
    const waiting = a.recvMessage({ maxBytes: 10, timeout: 20000 });
    await b.send(big, a.address().port, '127.0.0.1');
    const m = await waiting;
    assert.equal(m.truncated, true);
    assert.deepEqual(m.data, big.subarray(0, 10));
    await closeAll(a, b);
  });

  it('a receive into many buffers: empty ones take no part, and one fills at most the first 1,024', async () => {
    const [a, b] = await udpPair();
    const to = a.address().port;
    const empties = Array.from({ length: 1100 }, () => Buffer.alloc(0));
    await b.send([...empties, Buffer.from('hello'), ...empties], to, '127.0.0.1');
    const into = Buffer.alloc(16);
    const r = await a.recv([...empties, into], { timeout: 20000 });
    assert.deepEqual({ bytes: r.bytes, truncated: r.truncated }, { bytes: 5, truncated: false });
    assert.equal(into.toString('utf8', 0, 5), 'hello');
    // 1,100 one-byte buffers for a 1,050-byte datagram: what one system call takes, the rest cut off.
    const data = Buffer.alloc(1050, 'x');
    await b.send(data, to, '127.0.0.1');
    const ones = Array.from({ length: 1100 }, () => Buffer.alloc(1));
    const cut = await a.recv(ones, { timeout: 20000 });
    assert.deepEqual({ bytes: cut.bytes, truncated: cut.truncated }, { bytes: 1024, truncated: true });
    assert.equal(Buffer.concat(ones.slice(0, 1024)).toString(), 'x'.repeat(1024));
    await closeAll(a, b);
  });

  it('an empty datagram is received as bytes: 0', async () => {
    const [a, b] = await udpPair();
    const pending = a.recv(Buffer.alloc(8), { timeout: 20000 });
    await b.send(Buffer.alloc(0), a.address().port, '127.0.0.1');
    const r = await pending;
    assert.equal(r.bytes, 0);
    assert.equal(r.truncated, false);
    await closeAll(a, b);
  });

  it('recvMessage() gives an empty datagram as an empty Buffer, and a small one as a slice of Node\'s pool', async () => {
    const [a, b] = await udpPair();
    const empty = a.recvMessage({ timeout: 20000 });
    await b.send(Buffer.alloc(0), a.address().port, '127.0.0.1');
    const e = await empty;
    assert.ok(Buffer.isBuffer(e.data));
    assert.equal(e.data.length, 0);
    const small = a.recvMessage({ timeout: 20000 });
    await b.send('small', a.address().port, '127.0.0.1');
    const s = await small;
    assert.equal(s.data.toString(), 'small');
    assert.equal(s.data.buffer.byteLength, Buffer.poolSize, 'made as Buffer.allocUnsafe(5) makes it');
    await closeAll(a, b);
  });

  it('a dual-stack udp6 socket exchanges with udp4 peers (IPv4-mapped addresses)', async () => {
    const six = await createUdpSocket({ type: 'udp6', address: '::' });
    const four = await createUdpSocket({ type: 'udp4', address: '127.0.0.1' });
    await six.send('via mapped', four.address().port, '127.0.0.1');
    const got = await four.recvMessage({ timeout: 20000 });
    assert.equal(got.data.toString(), 'via mapped');
    await four.send('back', six.address().port, '127.0.0.1');
    const back = await six.recvMessage({ timeout: 20000 });
    assert.equal(back.address, '::ffff:127.0.0.1');
    assert.equal(back.family, 'IPv6');
    await closeAll(six, four);
  });

  it('ipv6Only refuses IPv4 destinations', async () => {
    const six = await createUdpSocket({ type: 'udp6', address: '::', ipv6Only: true });
    await assert.rejects(six.send('x', 9, '127.0.0.1'), (err: { code?: string }) => typeof err.code === 'string');
    await six.close();
  });

  it('host names are resolved for bind, connect and send (localhost)', async () => {
    const a = await createUdpSocket({ type: 'udp4', address: 'localhost' });
    assert.equal(a.address().address, '127.0.0.1');
    const b = await createUdpSocket({ type: 'udp4' });
    await b.send('by name', a.address().port, 'localhost');
    assert.equal((await a.recvMessage({ timeout: 20000 })).data.toString(), 'by name');
    await b.connect(a.address().port, 'localhost');
    assert.equal(b.remoteAddress().address, '127.0.0.1');
    await closeAll(a, b);
  });

  it('defaults: the wildcard address, a free port; send/connect default to loopback', async () => {
    const a = await createUdpSocket({ type: 'udp4' });
    assert.deepEqual({ address: a.address().address, family: a.address().family }, { address: '0.0.0.0', family: 'IPv4' });
    assert.ok(a.address().port > 0);
    const b = await createUdpSocket({ type: 'udp4' });
    await b.send('loop', a.address().port);
    assert.equal((await a.recvMessage({ timeout: 20000 })).data.toString(), 'loop');
    await b.connect(a.address().port);
    assert.equal(b.remoteAddress().address, '127.0.0.1');
    await closeAll(a, b);
  });

  it('an empty address means the default, as in dgram: bind to the wildcard, send and connect to loopback', async () => {
    const a = await createUdpSocket({ type: 'udp4', address: '' });
    assert.equal(a.address().address, '0.0.0.0');
    const b = await createUdpSocket({ type: 'udp4', address: '127.0.0.1' });
    await b.send('empty address', a.address().port, '');
    assert.equal((await a.recvMessage({ timeout: 20000 })).data.toString(), 'empty address');
    await b.connect(a.address().port, '');
    assert.equal(b.remoteAddress().address, '127.0.0.1');
    await closeAll(a, b);
  });

  it('disconnect() dissolves the association; send then needs a port again', async () => {
    const [a, b] = await udpPair();
    await b.connect(a.address().port, '127.0.0.1');
    b.disconnect();
    assert.equal(b.connected, false);
    assert.throws(() => b.remoteAddress(), { code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' });
    await b.send('after', a.address().port, '127.0.0.1');
    assert.equal((await a.recvMessage({ timeout: 20000 })).data.toString(), 'after');
    await closeAll(a, b);
  });

  it('async iteration yields fresh Buffers; messages(buf) reuses the caller\'s; both end at close()', async () => {
    const [a, b] = await udpPair();
    const port = a.address().port;
    for (const s of ['one', 'two', 'three']) await b.send(s, port, '127.0.0.1');
    const seen: Buffer[] = [];
    for await (const d of a) {
      seen.push(d.data);
      if (seen.length === 3) break;   // leaves the socket open
    }
    assert.deepEqual(seen.map(String), ['one', 'two', 'three']);
    // Fresh: no two share memory (small ones are separate slices of Node's pool, as Buffer.allocUnsafe's).
    const overlap = (x: Buffer, y: Buffer): boolean => x.buffer === y.buffer &&
      x.byteOffset < y.byteOffset + y.length && y.byteOffset < x.byteOffset + x.length;
    assert.ok(!overlap(seen[0], seen[1]) && !overlap(seen[1], seen[2]) && !overlap(seen[0], seen[2]));

    const buf = Buffer.alloc(16);
    const texts: string[] = [];
    const loop = (async () => {
      for await (const r of a.messages(buf)) texts.push(buf.toString('utf8', 0, r.bytes));
    })();
    for (const s of ['four', 'five']) await b.send(s, port, '127.0.0.1');
    while (texts.length < 2) await new Promise((r) => setTimeout(r, 10));
    await a.close();
    await loop;   // ended by close(), without an error
    assert.deepEqual(texts, ['four', 'five']);
    await b.close();
  });

  it('many datagrams queued at once are all received (more than one drain budget in a row)', async () => {
    const [a, b] = await udpPair();
    const n = 100;  // well inside the default receive buffer: none may be dropped
    for (let i = 0; i < n; i++) await b.send(`m${i}`, a.address().port, '127.0.0.1');
    const buf = Buffer.alloc(16);
    for (let i = 0; i < n; i++) {
      const r = await a.recv(buf, { timeout: 20000 });
      assert.equal(buf.toString('utf8', 0, r.bytes), `m${i}`);
    }
    await closeAll(a, b);
    assert.equal(engineStats().opsInFlight, 0);
  });
});
