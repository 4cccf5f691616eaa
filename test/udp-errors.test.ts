import * as assert from 'node:assert/strict';
import { createUdpSocket, engineStats, type UdpType } from '../lib';
import { assertSystemError, isAbortError, sleep } from './helpers';
import { closeAll, deadPort, isWine, LOOPBACK, udpPair } from './udp-helpers';

describe('UDP errors and cancellation', () => {
  for (const type of ['udp4', 'udp6'] as UdpType[]) {
    it(`${type}: ICMP port unreachable rejects the pending recv of a connected socket with ECONNREFUSED`, async () => {
      const port = await deadPort(type);
      const c = await createUdpSocket({ type, address: LOOPBACK[type] });
      await c.connect(port, LOOPBACK[type]);
      const pending = c.recv(Buffer.alloc(16), { timeout: 20000 });
      await c.send('anyone there?');
      await assert.rejects(pending, (err: Error & { port?: number; address?: string }) => {
        assertSystemError(err, 'ECONNREFUSED', 'recv');
        assert.equal(err.port, port);
        assert.equal(err.address, LOOPBACK[type]);
        return true;
      });
      // Not wedged: the same socket, pointed at a live peer, works.
      const live = await createUdpSocket({ type, address: LOOPBACK[type] });
      c.disconnect();
      await c.connect(live.address().port, LOOPBACK[type]);
      await c.send('now');
      assert.equal((await live.recvMessage({ timeout: 20000 })).data.toString(), 'now');
      await live.send('answer', c.address().port, LOOPBACK[type]);
      assert.equal((await c.recvMessage({ timeout: 20000 })).data.toString(), 'answer');
      await closeAll(c, live);
    });
  }

  it('an ICMP error that arrived before recv() started is reported by the next recv (Wine: by the next send)', async () => {
    const port = await deadPort();
    const c = await createUdpSocket({ type: 'udp4', address: '127.0.0.1' });
    await c.connect(port, '127.0.0.1');
    await c.send('ping');
    await sleep(200);
    if (isWine()) {
      // Wine's server takes the socket error when it arrives and never offers it to a receive that starts
      // later; the Linux socket keeps it for the next send. (Windows queues it for the next receive.)
      await assert.rejects(c.recv(Buffer.alloc(16), { timeout: 300 }), { code: 'ETIMEDOUT' });
      await c.send('again');
      await sleep(200);
      await assert.rejects(c.send('and again'), (err) => {
        assertSystemError(err, 'ECONNREFUSED', 'send');
        return true;
      });
    } else {
      await assert.rejects(c.recv(Buffer.alloc(16), { timeout: 20000 }), (err) => {
        assertSystemError(err, 'ECONNREFUSED', 'recv');
        return true;
      });
    }
    await c.close();
  });

  it('an unconnected socket is not disturbed by ICMP errors for its earlier sends', async () => {
    const [server, client] = await udpPair();
    const port = await deadPort();
    for (let i = 0; i < 3; i++) await server.send('to nobody', port, '127.0.0.1');
    await sleep(100);
    const pending = server.recv(Buffer.alloc(16), { timeout: 20000 });
    await client.send('real', server.address().port, '127.0.0.1');
    const r = await pending;
    assert.equal(r.bytes, 4);
    assert.equal(r.port, client.address().port);
    await closeAll(server, client);
  });

  it('an ICMP error left over from before disconnect() does not fail the receives that follow', async () => {
    const [a, b] = await udpPair();
    const port = b.address().port;
    await b.connect(await deadPort(), '127.0.0.1');
    await b.send('refused');
    await sleep(200);   // the error is now waiting on the socket
    b.disconnect();
    if (isWine()) {
      // Wine's Linux socket gives up the port the system chose at bind time, and Wine refuses to bind
      // again: the next send takes a new one. (Windows keeps the port; the Linux backend binds it again.)
      await b.send('hello', a.address().port, '127.0.0.1');
    } else {
      assert.equal(b.address().port, port, 'the local port is kept');
    }
    const to = isWine() ? (await a.recvMessage({ timeout: 20000 })).port : port;
    await a.send('after disconnect', to, '127.0.0.1');
    const d = await b.recvMessage({ timeout: 20000 });
    assert.equal(d.data.toString(), 'after disconnect');
    await closeAll(a, b);
  });

  it('aborts a pending recv with an AbortError carrying signal.reason; a later datagram is not lost', async () => {
    const [a, b] = await udpPair();
    const ac = new AbortController();
    const buf = Buffer.alloc(16);
    const aborted = a.recv(buf, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('enough')), 50);
    await assert.rejects(aborted, (err: Error) => {
      assert.ok(isAbortError(err));
      assert.equal((err.cause as Error).message, 'enough');
      return true;
    });
    await b.send('after abort', a.address().port, '127.0.0.1');
    const r = await a.recv(buf, { timeout: 20000 });
    assert.equal(buf.toString('utf8', 0, r.bytes), 'after abort');
    assert.equal(engineStats().opsInFlight, 0);
    await closeAll(a, b);
  });

  it('one signal given to many receives: an abort cancels only a receive it was given', async () => {
    const [a, b] = await udpPair();
    const ac = new AbortController();
    const buf = Buffer.alloc(16);
    const port = a.address().port;
    for (let i = 0; i < 3; i++) {
      const r = a.recv(buf, { signal: ac.signal });
      await b.send(`d${i}`, port, '127.0.0.1');
      assert.equal(buf.toString('utf8', 0, (await r).bytes), `d${i}`);
    }
    const m = a.recvMessage({ signal: ac.signal });
    await b.send('msg', port, '127.0.0.1');
    assert.equal((await m).data.toString(), 'msg');
    // The same signal again, now aborted while the receive waits.
    const pending = a.recv(buf, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop')), 30);
    await assert.rejects(pending, (err: Error) => isAbortError(err) && (err.cause as Error).message === 'stop');
    await assert.rejects(a.recv(buf, { signal: ac.signal }), (err: Error) => isAbortError(err));
    // A receive without the signal, after it fired, is left alone.
    const plain = a.recv(buf);
    await sleep(30);
    await b.send('plain', port, '127.0.0.1');
    assert.equal(buf.toString('utf8', 0, (await plain).bytes), 'plain');
    // A signal given up for another no longer cancels anything.
    const first = new AbortController(), second = new AbortController();
    const r1 = a.recv(buf, { signal: first.signal });
    await b.send('one', port, '127.0.0.1');
    await r1;
    const r2 = a.recv(buf, { signal: second.signal });
    first.abort();
    await sleep(30);
    await b.send('two', port, '127.0.0.1');
    assert.equal(buf.toString('utf8', 0, (await r2).bytes), 'two');
    assert.equal(engineStats().opsInFlight, 0);
    await closeAll(a, b);
  });

  it('times out a pending recv and recvMessage with ETIMEDOUT; the socket stays usable', async () => {
    const [a, b] = await udpPair();
    await b.connect(a.address().port, '127.0.0.1');
    const started = Date.now();
    await assert.rejects(b.recv(Buffer.alloc(8), { timeout: 100 }), (err: Error & { port?: number }) => {
      assertSystemError(err, 'ETIMEDOUT', 'recv');
      assert.equal(err.port, a.address().port);
      return true;
    });
    assert.ok(Date.now() - started >= 90);
    await assert.rejects(a.recvMessage({ timeout: 50 }), (err) => {
      assertSystemError(err, 'ETIMEDOUT', 'recv');
      return true;
    });
    await b.send('still here');
    assert.equal((await a.recvMessage({ timeout: 20000 })).data.toString(), 'still here');
    await closeAll(a, b);
  });

  it('an already aborted signal rejects recv, recvMessage, send and connect at once', async () => {
    const [a, b] = await udpPair();
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(a.recv(Buffer.alloc(8), { signal: ac.signal }), (e) => isAbortError(e));
    await assert.rejects(a.recvMessage({ signal: ac.signal }), (e) => isAbortError(e));
    await assert.rejects(b.send('x', a.address().port, '127.0.0.1', { signal: ac.signal }), (e) => isAbortError(e));
    await assert.rejects(b.connect(a.address().port, '127.0.0.1', { signal: ac.signal }), (e) => isAbortError(e));
    assert.equal(b.connected, false);
    await closeAll(a, b);
  });

  it('close() with a recv pending rejects it with ERR_SOCKET_CLOSED and leaves nothing in flight', async () => {
    const [a, b] = await udpPair();
    const pending = a.recv(Buffer.alloc(8));
    const chunk = b.recvMessage();
    await sleep(50);
    assert.ok(engineStats().opsInFlight >= 2);
    const rejected = Promise.allSettled([pending, chunk]);
    await closeAll(a, b);
    for (const r of await rejected) {
      assert.equal(r.status, 'rejected');
      assert.equal((r as PromiseRejectedResult).reason.code, 'ERR_SOCKET_CLOSED');
    }
    assert.equal(engineStats().opsInFlight, 0);
  });

  it('a second concurrent recv is refused with ERR_INVALID_STATE; the first keeps working', async () => {
    const [a, b] = await udpPair();
    const first = a.recv(Buffer.alloc(8), { timeout: 20000 });
    await assert.rejects(a.recv(Buffer.alloc(8)), { code: 'ERR_INVALID_STATE' });
    await assert.rejects(a.recvMessage(), { code: 'ERR_INVALID_STATE' });
    await b.send('first', a.address().port, '127.0.0.1');
    assert.equal((await first).bytes, 5);
    await closeAll(a, b);
  });

  it('operations on a closed socket reject (async) or throw (sync) with ERR_SOCKET_CLOSED; close is idempotent', async () => {
    const a = await createUdpSocket({ type: 'udp4' });
    const closing = a.close();
    assert.equal(a.close(), closing);
    await closing;
    assert.equal(a.closed, true);
    await assert.rejects(a.recv(Buffer.alloc(8)), { code: 'ERR_SOCKET_CLOSED' });
    await assert.rejects(a.send('x', 9, '127.0.0.1'), { code: 'ERR_SOCKET_CLOSED' });
    await assert.rejects(a.connect(9, '127.0.0.1'), { code: 'ERR_SOCKET_CLOSED' });
    assert.throws(() => a.setBroadcast(true), { code: 'ERR_SOCKET_CLOSED' });
    assert.throws(() => a.address(), { code: 'ERR_SOCKET_CLOSED' });
  });

  it('binding a port in use rejects with a system error naming bind and the address', async () => {
    const a = await createUdpSocket({ type: 'udp4', address: '127.0.0.1' });
    const port = a.address().port;
    await assert.rejects(createUdpSocket({ type: 'udp4', address: '127.0.0.1', port }), (err: Error & { port?: number }) => {
      // Windows reports WSAEACCES when the holder has SO_EXCLUSIVEADDRUSE (the default there).
      assertSystemError(err, process.platform === 'win32' && (err as { code?: string }).code === 'EACCES' ? 'EACCES' : 'EADDRINUSE', 'bind');
      assert.equal(err.port, port);
      return true;
    });
    await a.close();
  });

  it('sending a datagram larger than UDP allows rejects with EMSGSIZE', async () => {
    const [a, b] = await udpPair();
    await assert.rejects(b.send(Buffer.alloc(70000), a.address().port, '127.0.0.1'), (err) => {
      assertSystemError(err, 'EMSGSIZE', 'send');
      return true;
    });
    await closeAll(a, b);
  });

  describe('argument checks (synchronous, with Node\'s codes)', () => {
    it('createUdpSocket', () => {
      assert.throws(() => createUdpSocket(undefined as never), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => createUdpSocket({ type: 'tcp' as never }), { code: 'ERR_SOCKET_BAD_TYPE', name: 'TypeError' });
      assert.throws(() => createUdpSocket({ type: 'udp4', port: 70000 }), { code: 'ERR_SOCKET_BAD_PORT', name: 'RangeError' });
      assert.throws(() => createUdpSocket({ type: 'udp4', address: '::1' }), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => createUdpSocket({ type: 'udp4', reuseAddress: 'yes' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => createUdpSocket({ type: 'udp4', reuseAddress: true, exclusiveAddressUse: true }),
        { code: 'ERR_INCOMPATIBLE_OPTION_PAIR' });
      assert.throws(() => createUdpSocket({ type: 'udp4', timeout: -1 }), { code: 'ERR_OUT_OF_RANGE' });
    });

    it('send, recv, connect, disconnect, options', async () => {
      const [a, b] = await udpPair();
      const port = a.address().port;
      assert.throws(() => b.send(123 as never, port), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => b.send('x'), { code: 'ERR_SOCKET_BAD_PORT' });
      assert.throws(() => b.send('x', 0), { code: 'ERR_SOCKET_BAD_PORT' });
      assert.throws(() => b.send('x', port, '::1'), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => b.send('x', port, '127.0.0.1', { signal: 'no' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => b.recv('buf' as never), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => b.recv(Buffer.alloc(0)), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => b.recv(Buffer.alloc(4), { timeout: -1 }), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => b.recvMessage({ maxBytes: 0 }), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => b.disconnect(), { code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' });
      assert.throws(() => b.remoteAddress(), { code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' });
      assert.throws(() => b.connect(0), { code: 'ERR_SOCKET_BAD_PORT' });
      await b.connect(port, '127.0.0.1');
      assert.throws(() => b.connect(port, '127.0.0.1'), { code: 'ERR_SOCKET_DGRAM_IS_CONNECTED' });
      assert.throws(() => b.send('x', port, '127.0.0.1'), { code: 'ERR_SOCKET_DGRAM_IS_CONNECTED' });
      assert.throws(() => b.setTTL(0), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => b.setMulticastTTL(256), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => b.setBroadcast('yes' as never), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => b.addMembership('not-an-ip'), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => b.addMembership(1 as never), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => b.setMulticastInterface('::1'), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => b.setRecvBufferSize(0), { code: 'ERR_OUT_OF_RANGE' });
      await closeAll(a, b);
    });
  });
});
