import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { connect, engineStats, listen, type Connection } from '../lib';
import { connectedPair, echoServer, exitOf, platformIt, readExactly, sleep } from './helpers';
import { collect, runChild } from './lifecycle-helpers';

describe('TCP lifecycle and resources', () => {
  it('close() with a read and writes pending rejects them with ERR_SOCKET_CLOSED and releases everything', async () => {
    const { server, client, peer } = await connectedPair();
    const read = client.read(Buffer.alloc(1024));
    // The peer never reads, so these cannot finish: the first fills the socket buffers and stays pending.
    const big = Buffer.alloc(32 * 1024 * 1024);
    const writes = [client.write(big), client.write(big), client.write('queued behind')];
    await sleep(200);
    assert.ok(engineStats().opsInFlight >= 2, 'the read and the first write are in the OS');
    const settled = Promise.allSettled([read, ...writes]);
    await client.close();
    for (const r of await settled) {
      assert.equal(r.status, 'rejected');
      assert.equal((r as PromiseRejectedResult).reason.code, 'ERR_SOCKET_CLOSED');
    }
    await peer.close();
    const acceptPending = assert.rejects(server.accept(), { code: 'ERR_SOCKET_CLOSED' });
    await server.close();
    await acceptPending;
    assert.equal(engineStats().opsInFlight, 0);
  });

  it('200 connections ready at once, each closing another one when its read completes: nothing lost, nothing left', async () => {
    // Completions of one batch continue in JS between sockets of the same batch (a microtask checkpoint
    // every few dozen), so a socket may be closed after its event was taken and before it is handled.
    const server = await listen({ host: '127.0.0.1', port: 0 });
    const n = 200;
    const peers: Connection[] = [];
    const accepting = (async () => { for (let i = 0; i < n; i++) peers.push(await server.accept()); })();
    const clients = await Promise.all(Array.from({ length: n }, () => connect({ host: '127.0.0.1', port: server.address().port })));
    await accepting;
    const outcomes = peers.map((peer, i) => peer.read(Buffer.alloc(16)).then(
      async (bytes) => { await peers[(i + 7) % n].close(); return bytes; },
      (err: NodeJS.ErrnoException) => err.code));
    await Promise.all(clients.map((c) => c.write('x')));
    for (const outcome of await Promise.all(outcomes)) {
      assert.ok(outcome === 1 || outcome === 'ERR_SOCKET_CLOSED', `a read ended with ${String(outcome)}`);
    }
    await Promise.all([...peers, ...clients].map((c) => c.close()));
    await server.close();
    assert.equal(engineStats().opsInFlight, 0);
  });

  it('server.close() cancels the posted accepts and ends async iteration', async () => {
    const server = await listen({ host: '127.0.0.1', port: 0, acceptDepth: 8 });
    assert.ok(engineStats().opsInFlight >= 8);
    const seen: number[] = [];
    const loop = (async () => {
      for await (const c of server) {
        seen.push(c.remotePort);
        await c.close();
      }
    })();
    const c = await connect({ host: '127.0.0.1', port: server.address().port });
    while (seen.length === 0) await sleep(10);
    await server.close();
    await loop;
    assert.deepEqual(seen, [c.localPort]);
    await c.close();
    assert.equal(engineStats().opsInFlight, 0);
  });

  it('connections collected without close() release their OS sockets', async () => {
    const server = await listen({ host: '127.0.0.1', port: 0 });
    await collect();
    const before = engineStats();
    await (async () => {
      const accepted = server.accept();
      const client = await connect({ host: '127.0.0.1', port: server.address().port });
      const peer = await accepted;
      await client.write('x');
      assert.equal((await readExactly(peer, 1)).toString(), 'x');
    })();
    await collect();
    const after = engineStats();
    assert.ok(after.sockets <= before.sockets, `native sockets: ${before.sockets} -> ${after.sockets}`);
    if (before.osHandles >= 0) assert.ok(after.osHandles <= before.osHandles + 2, `OS handles: ${before.osHandles} -> ${after.osHandles}`);
    await server.close();
  });

  it('2,000 sequential connections leave no growth in sockets, handles or memory', async function () {
    this.timeout(300000);
    const { server, port } = await echoServer();
    const cycle = async (): Promise<void> => {
      const conn = await connect({ host: '127.0.0.1', port });
      await conn.write('ping');
      assert.equal((await readExactly(conn, 4)).toString(), 'ping');
      await conn.close();
    };
    for (let i = 0; i < 200; i++) await cycle();  // warm-up: caches, JIT, the allocator
    await collect();
    const before = { ...engineStats(), rss: process.memoryUsage().rss };
    for (let i = 0; i < 2000; i++) await cycle();
    await sleep(200);  // the server side closes after the client
    await collect();
    const after = { ...engineStats(), rss: process.memoryUsage().rss };
    assert.ok(after.sockets <= before.sockets + 1, `native sockets: ${before.sockets} -> ${after.sockets}`);
    if (before.osHandles >= 0) {
      assert.ok(after.osHandles - before.osHandles < 40, `OS handles: ${before.osHandles} -> ${after.osHandles}`);
    }
    const growthMb = (after.rss - before.rss) / 1048576;
    assert.ok(growthMb < 40, `RSS grew by ${growthMb.toFixed(1)} MiB`);
    await server.close();
    assert.equal(engineStats().opsInFlight, 0);
  });

  it('runs an engine inside a worker_thread, and terminate() cleans up what the worker left open', async () => {
    const script = path.join(__dirname, 'fixtures', 'worker-echo.js');
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
    const { server, port } = await echoServer();
    const c = await connect({ host: '127.0.0.1', port });
    await c.write('main');
    assert.equal((await readExactly(c, 4)).toString(), 'main');
    await c.close();
    await server.close();
  });

  it('terminating busy workers at arbitrary moments never takes the process down', async function () {
    // In a worker being terminated napi_throw fails; node-addon-api then threw a C++ exception out of the
    // addon's entry point, and std::terminate ended the whole process (both backends).
    this.timeout(180000);
    const rounds = process.platform === 'win32' ? 6 : 15;  // Wine starts workers slowly
    const code = await runChild(process.execPath, path.join(__dirname, 'fixtures', 'worker-terminate-storm.js'), 150000, [String(rounds)]);
    assert.equal(code, 0, 'the child crashed, hung or left operations in flight');
  });

  it('the process exits by itself once every socket is closed', async function () {
    this.timeout(120000);
    const code = await runChild(process.execPath, path.join(__dirname, 'fixtures', 'exit-by-itself.js'), 60000);
    assert.equal(code, 0);
  });

  platformIt('win32', 'the addon loads in a renamed node.exe (delay-loaded host imports)', async function () {
    this.timeout(120000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iocp-net-host-'));
    const renamed = path.join(dir, 'myapp.exe');
    fs.copyFileSync(process.execPath, renamed);
    try {
      assert.equal(await runChild(renamed, path.join(__dirname, 'fixtures', 'load-addon.js'), 60000), 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
