import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createUdpSocket, engineStats } from '../lib';
import { exitOf, sleep } from './helpers';
import { collect, runChild } from './lifecycle-helpers';
import { closeAll, udpPair } from './udp-helpers';

describe('UDP lifecycle and resources', () => {
  it('1,000 sockets opened, used and closed leave no growth in sockets, handles or memory', async function () {
    this.timeout(300000);
    const [peer] = await udpPair();
    const port = peer.address().port;
    const buf = Buffer.alloc(64);
    const cycle = async (): Promise<void> => {
      const s = await createUdpSocket({ type: 'udp4', address: '127.0.0.1' });
      await s.connect(port, '127.0.0.1');
      const answer = s.recv(buf, { timeout: 20000 });   // waits (the peek on Windows) before the datagram exists
      await s.send('ping');
      const r = await peer.recvMessage({ timeout: 20000 });
      await peer.send(r.data, r.port, r.address);
      assert.equal((await answer).bytes, 4);
      const left = s.recv(buf);                          // pending at close
      await s.close();
      await assert.rejects(left, { code: 'ERR_SOCKET_CLOSED' });
    };
    for (let i = 0; i < 100; i++) await cycle();  // warm-up: caches, JIT, the allocator
    await collect();
    const before = { ...engineStats(), rss: process.memoryUsage().rss };
    for (let i = 0; i < 1000; i++) await cycle();
    await collect();
    const after = { ...engineStats(), rss: process.memoryUsage().rss };
    assert.ok(after.sockets <= before.sockets + 1, `native sockets: ${before.sockets} -> ${after.sockets}`);
    if (before.osHandles >= 0) {
      assert.ok(after.osHandles - before.osHandles < 40, `OS handles: ${before.osHandles} -> ${after.osHandles}`);
    }
    const growthMb = (after.rss - before.rss) / 1048576;
    assert.ok(growthMb < 40, `RSS grew by ${growthMb.toFixed(1)} MiB`);
    await peer.close();
    assert.equal(engineStats().opsInFlight, 0);
  });

  it('a socket collected without close() releases its OS socket', async () => {
    await collect();
    const before = engineStats();
    await (async () => {
      const [a, b] = await udpPair();
      await b.send('x', a.address().port, '127.0.0.1');
    })();
    await collect();
    const after = engineStats();
    assert.ok(after.sockets <= before.sockets, `native sockets: ${before.sockets} -> ${after.sockets}`);
    if (before.osHandles >= 0) assert.ok(after.osHandles <= before.osHandles + 2, `OS handles: ${before.osHandles} -> ${after.osHandles}`);
  });

  it('runs inside a worker_thread, and terminate() cleans up a socket left with a recv pending', async () => {
    const script = path.join(__dirname, 'fixtures', 'udp-worker.js');
    const w1 = new Worker(script);
    const w1Exit = exitOf(w1);
    const [msg] = (await once(w1, 'message')) as [{ text: string; stats: { opsInFlight: number } }];
    assert.equal(msg.text, 'from the worker');
    assert.equal(msg.stats.opsInFlight, 0);
    assert.equal(await w1Exit, 0, 'an idle worker exits by itself');

    const w2 = new Worker(script, { env: { ...process.env, IOCP_NET_WORKER_LEAVE_OPEN: '1' } });
    const messages: unknown[] = [];
    w2.on('message', (m) => messages.push(m));
    while (!messages.some((m) => (m as { leftOpen?: boolean }).leftOpen)) await sleep(20);
    await w2.terminate();
    // The main thread's engine is untouched.
    const [a, b] = await udpPair();
    await b.send('main', a.address().port, '127.0.0.1');
    assert.equal((await a.recvMessage({ timeout: 20000 })).data.toString(), 'main');
    await closeAll(a, b);
  });

  it('the addon used without lib/udp.ts (no result factory registered) gives the same result objects', async () => {
    const w = new Worker(path.join(__dirname, 'fixtures', 'udp-native-results.js'));
    const exited = exitOf(w);
    const [msg] = (await once(w, 'message')) as [Record<string, unknown>];
    assert.equal(msg.error, undefined);
    const from = msg.from as number;
    assert.deepEqual(msg.recv, { bytes: 4, address: '127.0.0.1', port: from, family: 'IPv4', truncated: true, text: 'hell' });
    assert.deepEqual(msg.chunk, { data: 'chunk', address: '127.0.0.1', port: from, family: 'IPv4', truncated: false });
    assert.equal(await exited, 0);
  });

  it('the process exits by itself once every UDP socket is closed', async function () {
    this.timeout(120000);
    assert.equal(await runChild(process.execPath, path.join(__dirname, 'fixtures', 'udp-exit-by-itself.js'), 60000), 0);
  });
});
