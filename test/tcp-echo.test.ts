import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from '../lib';
import { connectedPair, echoServer, readExactly } from './helpers';

describe('TCP data path', () => {
  it('echoes 64 MiB intact (sha256 of what was sent equals what came back)', async () => {
    const { server, port } = await echoServer();
    const conn = await connect({ host: '127.0.0.1', port });
    const total = 64 * 1024 * 1024;
    const chunk = 1024 * 1024;
    const sent = createHash('sha256');
    const writer = (async () => {
      for (let off = 0; off < total; off += chunk) {
        const data = randomBytes(chunk);
        sent.update(data);
        await conn.write(data);
      }
      await conn.shutdown();
    })();
    const got = createHash('sha256');
    const buf = Buffer.allocUnsafe(256 * 1024);
    let received = 0;
    for (;;) {
      const n = await conn.read(buf);
      if (n === 0) break;
      got.update(buf.subarray(0, n));
      received += n;
    }
    await writer;
    assert.equal(received, total);
    assert.equal(got.digest('hex'), sent.digest('hex'));
    await conn.close();
    await server.close();
  });

  it('gathers a write from 3+ buffers and scatters a read into 3+ buffers, in order', async () => {
    const { server, client, peer } = await connectedPair();
    const parts = [Buffer.from('alpha-'), Buffer.from('beta-'), new Uint8Array(Buffer.from('gamma-')), Buffer.from('delta')];
    await client.write(parts);
    await client.shutdown();
    const a = Buffer.alloc(3), b = Buffer.alloc(4), c = Buffer.alloc(5), d = Buffer.alloc(100);
    // Give the 22 bytes time to arrive, so one scatter read takes them all.
    await new Promise((r) => setTimeout(r, 200));
    const n = await peer.readv([a, b, c, d]);
    assert.equal(n, 22);
    assert.equal(a.toString(), 'alp');
    assert.equal(b.toString(), 'ha-b');
    assert.equal(c.toString(), 'eta-g');
    assert.equal(d.subarray(0, 10).toString(), 'amma-delta');
    assert.equal(await peer.read(Buffer.alloc(8)), 0);
    await Promise.all([client.close(), peer.close()]);
    await server.close();
  });

  it('a gather write of 100 buffers, larger than the socket buffers, arrives whole and in order, then the next write', async () => {
    // The kernel takes such a write in parts: the rest waits, resumed from inside a buffer, and the write
    // queued behind it goes out only after it.
    const { server, client, peer } = await connectedPair();
    const parts = Array.from({ length: 100 }, (_, i) => randomBytes(20_000 + i * 997));
    const tail = randomBytes(70_001);
    const expected = Buffer.concat([...parts, tail]);
    const first = client.write(parts);
    const second = client.write(tail);
    const got = await readExactly(peer, expected.length);
    await Promise.all([first, second]);
    assert.equal(got.length, expected.length);
    assert.ok(got.equals(expected), 'the bytes differ from what was written');
    await Promise.all([client.close(), peer.close()]);
    await server.close();
  });

  it('a gather write of 3,000 small buffers (more than one system call takes) completes and arrives in order', async () => {
    // Linux takes at most 1,024 buffers per sendmsg (and Wine per WSASend): the write goes out in several
    // calls. Taking a whole first part must not read as a full socket buffer, or the write would wait for
    // room it already has.
    const { server, client, peer } = await connectedPair();
    const parts = Array.from({ length: 3000 }, (_, i) => Buffer.from([i & 0xff, i >> 8]));
    const expected = Buffer.concat(parts);
    const writing = client.write(parts);
    const got = await readExactly(peer, expected.length);
    await writing;
    assert.ok(got.equals(expected), 'the bytes differ from what was written');
    // The same for a write queued behind a pending one (from the queue rather than at once).
    const big = randomBytes(32 * 1024 * 1024);
    const first = client.write(big);
    const second = client.write(parts);
    const rest = await readExactly(peer, big.length + expected.length);
    await Promise.all([first, second]);
    assert.ok(rest.equals(Buffer.concat([big, expected])), 'the queued writes differ from what was written');
    await Promise.all([client.close(), peer.close()]);
    await server.close();
  });

  it('a scatter read into 3,000 buffers fills at most the first 1,024 and leaves the rest of the data for the next read', async () => {
    const { server, client, peer } = await connectedPair();
    const data = randomBytes(3000);
    await client.write(data);
    await new Promise((r) => setTimeout(r, 50));  // all 3,000 bytes are in the receive queue
    const views = Array.from({ length: 3000 }, () => Buffer.alloc(1));
    const n = await peer.readv(views);
    assert.equal(n, 1024, 'one read fills the buffers one system call takes');
    const rest = await readExactly(peer, data.length - n);
    assert.ok(Buffer.concat([...views.slice(0, n), rest]).equals(data), 'bytes lost or reordered');
    await Promise.all([client.close(), peer.close()]);
    await server.close();
  });

  it('empty buffers in a scatter read or gather write take no part: 1,100 of them before a real one', async () => {
    const { server, client, peer } = await connectedPair();
    const empties = Array.from({ length: 1100 }, () => Buffer.alloc(0));
    await client.write([...empties, Buffer.from('gathered'), ...empties]);
    await new Promise((r) => setTimeout(r, 50));  // in the receive queue: the read completes at once
    const into = Buffer.alloc(8);
    assert.equal(await peer.readv([...empties, into]), 8, 'a read into only empty buffers would look like end of stream');
    assert.equal(into.toString(), 'gathered');
    const pending = peer.readv([...empties, into]);  // and the same while it waits
    await client.write('x');
    assert.equal(await pending, 1);
    await Promise.all([client.close(), peer.close()]);
    await server.close();
  });

  it('an empty write queued behind a pending one resolves in order and the stream goes on', async () => {
    const { server, client, peer } = await connectedPair();
    const big = randomBytes(8 * 1024 * 1024);  // more than the socket buffers take at once: it waits
    const writes = [client.write(big), client.write(''), client.write(Buffer.alloc(0)), client.write('end')];
    const got = await readExactly(peer, big.length + 3);
    await Promise.all(writes);
    assert.ok(got.subarray(0, big.length).equals(big));
    assert.equal(got.subarray(big.length).toString(), 'end');
    await client.write('');  // nothing queued: completes at once
    await Promise.all([client.close(), peer.close()]);
    await server.close();
  });

  it('accepts a string (UTF-8) and typed arrays of any element type', async () => {
    const { server, port } = await echoServer();
    const conn = await connect({ host: '127.0.0.1', port });
    await conn.write('héllo ');
    await conn.write(new Uint16Array([0x6968, 0x2121]));
    const got = await readExactly(conn, Buffer.byteLength('héllo ') + 4);
    assert.equal(got.toString('utf8'), 'héllo hi!!');
    await conn.close();
    await server.close();
  });

  it('reads 0 at end of stream, and again after that', async () => {
    const { server, client, peer } = await connectedPair();
    await peer.write('bye');
    await peer.shutdown();
    assert.equal((await readExactly(client, 3)).toString(), 'bye');
    assert.equal(await client.read(Buffer.alloc(10)), 0);
    assert.equal(await client.read(Buffer.alloc(10)), 0);
    await Promise.all([client.close(), peer.close(), server.close()]);
  });

  it('serves several clients at once through async iteration', async () => {
    const { server, port } = await echoServer();
    const results = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const conn = await connect({ host: '127.0.0.1', port });
      const msg = Buffer.from(`client ${i} `.repeat(100 + i));
      await conn.write(msg);
      const back = await readExactly(conn, msg.length);
      await conn.close();
      return back.equals(msg);
    }));
    assert.deepEqual(results, Array(20).fill(true));
    await server.close();
  });
});
