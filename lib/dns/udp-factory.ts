// The resolver's UDP sockets: the addon's own (createUdpSocket), each bound to an ephemeral port of its own
// and connected to one server, so the kernel drops datagrams from anywhere else and an ICMP port
// unreachable from the server fails the socket's pending recv() with ECONNREFUSED. While a query waits,
// one recv() is pending: on Windows a zero-byte MSG_PEEK WSARecv that pins no buffer. The transport aborts
// that recv (its AbortSignal) when no query is outstanding, so an idle socket holds nothing in the kernel
// and does not keep the process alive.
import { createUdpSocket } from '../udp';
import type { ServerAddress } from './config';
import type { DatagramSocket, DatagramSocketFactory } from './transport';

export const udpSocketFactory: DatagramSocketFactory = async (server: ServerAddress): Promise<DatagramSocket> => {
  const sock = await createUdpSocket({ type: server.family === 6 ? 'udp6' : 'udp4' });
  try {
    await sock.connect(server.port, server.address);
  } catch (err) {
    await sock.close();
    throw err;
  }
  return sock;
};
