// The package as a user gets it: packed with npm pack, installed from the tarball into an empty project and
// loaded by name. scripts/test-package.sh copies this file into that project and runs it there, natively and
// under Wine, so that 'iocp-net' resolves to the installed copy and nothing of the repository is in reach.
// Plain CommonJS on purpose: it is what a user's require('iocp-net') sees, with no compiler in between.
'use strict';
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const tuple = `${process.platform}-${process.arch}`;
const installed = path.join(process.cwd(), 'node_modules', 'iocp-net');

describe(`installed package (npm pack + npm install, ${tuple})`, function () {
  let net;
  before(function () {
    assert.equal(process.env.IOCP_NET_ADDON, undefined, 'IOCP_NET_ADDON would bypass the installed addon');
    net = require('iocp-net');
  });

  it('resolves to the installed copy, which carries both prebuilds and no build folder', function () {
    assert.equal(require.resolve('iocp-net'), path.join(installed, 'dist', 'lib', 'index.js'));
    for (const t of ['win32-x64', 'linux-x64']) {
      assert.ok(fs.statSync(path.join(installed, 'prebuilds', t, 'iocp-net.node')).size > 0, `prebuilds/${t}`);
    }
    assert.equal(fs.existsSync(path.join(installed, 'build')), false);
  });

  it(`loads the addon from prebuilds/${tuple} and picks this platform's engine`, function () {
    const addon = path.join(installed, 'prebuilds', tuple, 'iocp-net.node');
    assert.ok(Object.keys(require.cache).includes(addon), `${addon} is not among the loaded modules`);
    assert.equal(net.backend, process.platform === 'win32' ? 'iocp' : 'epoll');
  });

  it('echoes over TCP on loopback and leaves no operation in flight', async function () {
    const server = await net.listen({ host: '127.0.0.1', port: 0 });
    const accepted = server.accept();
    const client = await net.connect({ host: '127.0.0.1', port: server.address().port });
    const conn = await accepted;
    await client.write('hello from the tarball');
    const got = await conn.readChunk();
    await conn.write(got);
    const buf = Buffer.alloc(64);
    const n = await client.read(buf);
    assert.equal(buf.toString('utf8', 0, n), 'hello from the tarball');
    await Promise.all([client.close(), conn.close(), server.close()]);
    assert.equal(net.engineStats().opsInFlight, 0);
  });

  it('sends and receives a UDP datagram on loopback', async function () {
    const a = await net.createUdpSocket({ type: 'udp4', address: '127.0.0.1' });
    const b = await net.createUdpSocket({ type: 'udp4', address: '127.0.0.1' });
    const received = b.recvMessage();
    await a.send('ping', b.address().port, '127.0.0.1');
    const d = await received;
    assert.equal(d.data.toString(), 'ping');
    assert.equal(d.port, a.address().port);
    await Promise.all([a.close(), b.close()]);
  });

  it('rejects bad arguments with Node-style coded errors', function () {
    assert.throws(() => net.connect({ host: '127.0.0.1', port: 0 }), { code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => net.createUdpSocket({ type: 'udp5' }), { code: 'ERR_SOCKET_BAD_TYPE' });
  });

  it('gives ES module importers the same named exports', async function () {
    const esm = await import('iocp-net');
    for (const name of ['connect', 'listen', 'createUdpSocket', 'Resolver', 'lookup', 'backend', 'engineStats']) {
      assert.equal(esm[name], net[name], `import { ${name} } from 'iocp-net'`);
    }
    assert.equal(require('iocp-net/package.json').name, 'iocp-net');
  });

  // Type checking does not depend on the platform, and tsc under Wine would only be slow: the script gives
  // the native run the path of the repository's tsc and the Wine run none.
  const tsc = process.env.IOCP_NET_TSC;
  const nativeOnly = tsc ? '' : ' (native run only: the types are the same on every platform)';
  const typeCheck = (project) => {
    const r = spawnSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8' });
    assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
  };

  (tsc ? it : it.skip)(`type-checks a strict TypeScript consumer against the shipped .d.ts${nativeOnly}`, function () {
    typeCheck('tsconfig.consumer.json');
  });

  // The README's examples are what users copy first: each \`\`\`ts block, as an ES module of its own.
  (tsc ? it : it.skip)(`type-checks every TypeScript example in the README${nativeOnly}`, function () {
    const blocks = [...fs.readFileSync('README.md', 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    assert.ok(blocks.length >= 3, `only ${blocks.length} examples found`);
    const files = blocks.map((code, i) => {
      fs.writeFileSync(`readme-example-${i}.mts`, `${code}\nexport {};\n`);
      return `readme-example-${i}.mts`;
    });
    const consumer = JSON.parse(fs.readFileSync('tsconfig.consumer.json', 'utf8'));
    // await using needs the Disposable lib, as in any project that uses it.
    consumer.compilerOptions.lib = [...consumer.compilerOptions.lib, 'ESNext.Disposable'];
    fs.writeFileSync('tsconfig.readme.json', JSON.stringify({ ...consumer, files }));
    typeCheck('tsconfig.readme.json');
  });
});
