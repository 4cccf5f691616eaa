import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { createUdpSocket } from '../lib';
import { closeAll } from './udp-helpers';

const GROUP4 = '239.255.43.21';
const GROUP6 = 'ff15::4321';   // site-local scope: leaves the loopback-only Linux routing table alone

/** A non-internal interface with an IPv6 address, or undefined: IPv6 multicast needs one (Linux does not
 *  route IPv6 multicast over lo). */
function ipv6Interface(): os.NetworkInterfaceInfoIPv6 | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const i of list ?? []) if (i.family === 'IPv6' && !i.internal) return i as os.NetworkInterfaceInfoIPv6;
  }
  return undefined;
}

describe('UDP socket options', () => {
  it('broadcast, TTL and multicast settings are accepted; buffer sizes read back', async () => {
    const s = await createUdpSocket({ type: 'udp4', recvBufferSize: 128 * 1024, sendBufferSize: 64 * 1024 });
    assert.ok(s.getRecvBufferSize() >= 128 * 1024, `recv buffer ${s.getRecvBufferSize()}`);
    assert.ok(s.getSendBufferSize() >= 64 * 1024, `send buffer ${s.getSendBufferSize()}`);
    s.setBroadcast(true);
    s.setBroadcast(false);
    assert.equal(s.setTTL(64), 64);
    assert.equal(s.setMulticastTTL(1), 1);
    assert.equal(s.setMulticastLoopback(true), true);
    s.setMulticastInterface('127.0.0.1');
    s.setRecvBufferSize(256 * 1024);
    assert.ok(s.getRecvBufferSize() >= 256 * 1024);
    const s6 = await createUdpSocket({ type: 'udp6' });
    assert.equal(s6.setTTL(10), 10);
    assert.equal(s6.setMulticastTTL(2), 2);
    s6.setMulticastLoopback(true);
    s6.setMulticastInterface('::%0');   // index 0: the system's choice
    await closeAll(s, s6);
  });

  it('a datagram to the broadcast address needs setBroadcast(true)', async () => {
    const s = await createUdpSocket({ type: 'udp4' });
    await assert.rejects(s.send('x', 9, '255.255.255.255'), (err: { code?: string }) => {
      assert.ok(err.code === 'EACCES' || err.code === 'EPERM', `got ${err.code}`);
      return true;
    });
    s.setBroadcast(true);
    // Sending may still fail where no interface can broadcast; what matters is that permission is no longer the reason.
    await s.send('x', 9, '255.255.255.255').catch((err: { code?: string }) => {
      assert.ok(err.code !== 'EACCES' && err.code !== 'EPERM', `still ${err.code}`);
    });
    await s.close();
  });

  it('IPv4 multicast over the loopback interface: join, receive, drop', async () => {
    const receiver = await createUdpSocket({ type: 'udp4', reuseAddress: true });
    receiver.addMembership(GROUP4, '127.0.0.1');
    const sender = await createUdpSocket({ type: 'udp4', address: '127.0.0.1' });
    sender.setMulticastInterface('127.0.0.1');
    sender.setMulticastLoopback(true);
    sender.setMulticastTTL(1);
    const port = receiver.address().port;
    const got = receiver.recvMessage({ timeout: 20000 });
    await sender.send('to the group', port, GROUP4);
    const d = await got;
    assert.equal(d.data.toString(), 'to the group');
    assert.equal(d.port, sender.address().port);
    receiver.dropMembership(GROUP4, '127.0.0.1');
    assert.throws(() => receiver.dropMembership(GROUP4, '127.0.0.1'), (err: { code?: string }) => typeof err.code === 'string');
    await closeAll(receiver, sender);
  });

  it('source-specific membership can be joined and left', async () => {
    const receiver = await createUdpSocket({ type: 'udp4' });
    receiver.addSourceSpecificMembership('127.0.0.1', '232.1.2.3', '127.0.0.1');
    receiver.dropSourceSpecificMembership('127.0.0.1', '232.1.2.3', '127.0.0.1');
    await receiver.close();
  });

  it('reuseAddress lets two sockets share a port', async () => {
    const a = await createUdpSocket({ type: 'udp4', reuseAddress: true });
    const b = await createUdpSocket({ type: 'udp4', reuseAddress: true, port: a.address().port });
    assert.equal(b.address().port, a.address().port);
    await closeAll(a, b);
  });

  it('IPv6 multicast on an interface that has IPv6: join, receive, drop', async function () {
    const iface = ipv6Interface();
    if (iface === undefined) {
      console.log('      (skipped: no non-loopback interface with IPv6 here; Linux does not route IPv6 multicast over lo)');
      this.skip();
    }
    const receiver = await createUdpSocket({ type: 'udp6', reuseAddress: true });
    receiver.addMembership(GROUP6);
    const sender = await createUdpSocket({ type: 'udp6' });
    sender.setMulticastLoopback(true);
    sender.setMulticastTTL(1);
    const got = receiver.recvMessage({ timeout: 20000 });
    await sender.send('to the v6 group', receiver.address().port, GROUP6);
    const d = await got;
    assert.equal(d.data.toString(), 'to the v6 group');
    assert.equal(d.family, 'IPv6');
    receiver.dropMembership(GROUP6);
    await closeAll(receiver, sender);
  });
});
