import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { connect, listen } from '../lib';
import { assertSystemError, echoServer, readExactly } from './helpers';

describe('TCP addresses and families', () => {
  it('connects over IPv4 and reports both ends', async () => {
    const { server, port } = await echoServer('127.0.0.1');
    const conn = await connect({ host: '127.0.0.1', port });
    assert.equal(conn.remoteAddress, '127.0.0.1');
    assert.equal(conn.remotePort, port);
    assert.equal(conn.remoteFamily, 'IPv4');
    await conn.write('v4');
    assert.equal((await readExactly(conn, 2)).toString(), 'v4');
    await conn.close();
    await server.close();
  });

  it('connects over IPv6 (::1)', async () => {
    const { server, port } = await echoServer('::1');
    assert.deepEqual(server.address(), { address: '::1', port, family: 'IPv6' });
    const conn = await connect({ host: '::1', port });
    assert.equal(conn.remoteAddress, '::1');
    assert.equal(conn.remoteFamily, 'IPv6');
    assert.equal(conn.localAddress, '::1');
    await conn.write('v6');
    assert.equal((await readExactly(conn, 2)).toString(), 'v6');
    await conn.close();
    await server.close();
  });

  it('both ends stay readable after close(), also when nobody asked before', async () => {
    const server = await listen({ host: '127.0.0.1', port: 0 });
    const port = server.address().port;
    const accepted = server.accept();
    const client = await connect({ host: '127.0.0.1', port });
    const peer = await accepted;
    await Promise.all([client.close(), peer.close(), server.close()]);
    assert.deepEqual(client.address(), { address: '127.0.0.1', port: client.localPort, family: 'IPv4' });
    assert.equal(client.remoteAddress, '127.0.0.1');
    assert.equal(client.remotePort, port);
    assert.notEqual(client.localPort, 0);
    assert.equal(peer.localAddress, '127.0.0.1');
    assert.equal(peer.localPort, port);
    assert.equal(peer.remoteAddress, '127.0.0.1');
    assert.equal(peer.remotePort, client.localPort);
    assert.equal(peer.remoteFamily, 'IPv4');
  });

  it('a dual-stack listener on :: accepts IPv4 clients (as ::ffff:127.0.0.1)', async () => {
    const server = await listen({ host: '::', port: 0, ipv6Only: false });
    const accepted = server.accept();
    const client = await connect({ host: '127.0.0.1', port: server.address().port });
    const peer = await accepted;
    assert.equal(peer.remoteAddress, '::ffff:127.0.0.1');
    assert.equal(peer.remotePort, client.localPort);
    // The accepted connection's own end is the address the client dialled, not the listener's wildcard.
    assert.equal(peer.localAddress, '::ffff:127.0.0.1');
    assert.equal(peer.localPort, server.address().port);
    await Promise.all([client.close(), peer.close(), server.close()]);
  });

  it('a listener on 0.0.0.0 gives each accepted connection the address it was reached at', async () => {
    const server = await listen({ host: '0.0.0.0', port: 0 });
    const { port } = server.address();
    for (const host of ['127.0.0.1', '127.0.0.2']) {
      const accepted = server.accept();
      const client = await connect({ host, port });
      const peer = await accepted;
      assert.equal(peer.localAddress, host);
      assert.equal(peer.localPort, port);
      assert.equal(client.remoteAddress, host);
      await Promise.all([client.close(), peer.close()]);
    }
    await server.close();
  });

  it('an empty host means no host, as in net: listen on every address, connect to localhost', async () => {
    const server = await listen({ host: '', port: 0 });
    assert.ok(['::', '0.0.0.0'].includes(server.address().address), `listening on ${server.address().address}`);
    const accepted = server.accept();
    const client = await connect({ host: '', port: server.address().port });
    const peer = await accepted;
    assert.ok(net.isIP(client.remoteAddress) !== 0 && ['127.0.0.1', '::1'].includes(client.remoteAddress));
    await Promise.all([client.close(), peer.close(), server.close()]);
  });

  it('binds to the wildcard first: after connect, localAddress is the real one and localPort is not 0', async () => {
    const server = await listen({ host: '127.0.0.1', port: 0 });
    const accepted = server.accept();
    const conn = await connect({ host: '127.0.0.1', port: server.address().port });
    const peer = await accepted;
    assert.equal(conn.localAddress, '127.0.0.1');
    assert.notEqual(conn.localPort, 0);
    assert.equal(peer.remotePort, conn.localPort);
    assert.equal(peer.localPort, server.address().port);
    await Promise.all([conn.close(), peer.close(), server.close()]);
  });

  it('honours an explicit localAddress and localPort', async () => {
    const server = await listen({ host: '127.0.0.1', port: 0 });
    // A free port for the client side: take one from the OS and release it.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const localPort = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const accepted = server.accept();
    const conn = await connect({ host: '127.0.0.1', port: server.address().port, localAddress: '127.0.0.1', localPort });
    const peer = await accepted;
    assert.equal(conn.localAddress, '127.0.0.1');
    assert.equal(conn.localPort, localPort);
    assert.equal(peer.remotePort, localPort);
    await Promise.all([conn.close(), peer.close(), server.close()]);
  });

  it('rejects a localAddress whose family does not match the destination, with a clear error', async () => {
    const server = await listen({ host: '::1', port: 0 });
    await assert.rejects(connect({ host: '::1', port: server.address().port, localAddress: '127.0.0.1' }), (err: Error) => {
      assertSystemError(err, 'EAFNOSUPPORT', 'connect');
      assert.match(err.message, /localAddress 127\.0\.0\.1 is IPv4 but ::1 is IPv6/);
      return true;
    });
    await server.close();
  });

  it('takes a custom lookup\'s answer in either form, and refuses one that is not an address', async () => {
    const server = await listen({ host: '127.0.0.1', port: 0 });
    const port = server.address().port;
    type Answer = (err: null, address: unknown, family?: number) => void;
    const answering = (address: unknown, family?: number) =>
      ((_host: string, _opts: unknown, cb: Answer) => cb(null, address, family)) as unknown as typeof import('node:dns').lookup;
    try {
      // A simple lookup that ignores `all` and answers with one address; one whose family is wrong.
      for (const lookup of [answering('127.0.0.1', 4), answering([{ address: '127.0.0.1', family: 6 }])]) {
        const accepted = server.accept();
        const conn = await connect({ host: 'my.host', port, lookup });
        assert.equal(conn.remoteAddress, '127.0.0.1');
        await Promise.all([conn.close(), (await accepted).close()]);
      }
      for (const bad of [answering('not-an-ip', 4), answering([null]), answering([{ address: 7 }]), answering(undefined)]) {
        await assert.rejects(connect({ host: 'my.host', port, lookup: bad }), { code: 'ERR_INVALID_IP_ADDRESS' });
      }
      await assert.rejects(connect({ host: 'my.host', port, lookup: answering([]) }), { code: 'ENOTFOUND' });
    } finally {
      await server.close();
    }
  });

  it('rejects unsupported families and bad arguments synchronously with Node codes', () => {
    assert.throws(() => connect({ host: '127.0.0.1', port: 80, family: 5 as 4 }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => connect({ host: '127.0.0.1', port: 70000 }), { code: 'ERR_SOCKET_BAD_PORT', name: 'RangeError' });
    // Ports as net takes them: numbers, or strings that are numbers; the codes are net's.
    assert.throws(() => connect({ host: '127.0.0.1', port: 'x' as unknown as number }), { code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => connect({ host: '127.0.0.1', port: ' ' as unknown as number }), { code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => connect({ host: '127.0.0.1', port: {} as unknown as number }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => connect({ host: '127.0.0.1' } as unknown as { port: number }), { code: 'ERR_MISSING_ARGS' });
    assert.throws(() => connect({ host: 42 as unknown as string, port: 80 }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => connect({ port: 80, localAddress: 'not-an-ip' }), { code: 'ERR_INVALID_IP_ADDRESS', message: 'Invalid IP address: not-an-ip' });
    assert.throws(() => connect({ port: 80, timeout: -1 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => connect(null as unknown as { port: number }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => listen({ port: -1 }), { code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => listen({ exclusiveAddressUse: true, reuseAddress: true }), { code: 'ERR_INCOMPATIBLE_OPTION_PAIR' });
    assert.throws(() => listen({ acceptDepth: 0 }), { code: 'ERR_OUT_OF_RANGE' });
  });
});
