// Helpers for the UDP suites: bound socket pairs, a port nobody listens on, cleanup, Wine detection.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createUdpSocket, type UdpSocket, type UdpType } from '../lib';

export const LOOPBACK: Record<UdpType, string> = { udp4: '127.0.0.1', udp6: '::1' };

/** Two sockets bound to loopback on free ports. */
export async function udpPair(type: UdpType = 'udp4'): Promise<[UdpSocket, UdpSocket]> {
  const a = await createUdpSocket({ type, address: LOOPBACK[type] });
  const b = await createUdpSocket({ type, address: LOOPBACK[type] });
  return [a, b];
}

/** A loopback port with no socket on it (bound once, then closed), for ICMP port unreachable. */
export async function deadPort(type: UdpType = 'udp4'): Promise<number> {
  const s = await createUdpSocket({ type, address: LOOPBACK[type] });
  const port = s.address().port;
  await s.close();
  return port;
}

export async function closeAll(...sockets: UdpSocket[]): Promise<void> {
  await Promise.all(sockets.map((s) => s.close()));
}

/** Running as node.exe under Wine (its system folder holds Wine's own programs), for the few documented
 *  places where Wine's sockets behave as Linux's, not as Windows'. */
export function isWine(): boolean {
  if (process.platform !== 'win32') return false;
  return fs.existsSync(path.join(process.env.SystemRoot ?? 'C:\\windows', 'system32', 'wineboot.exe'));
}
