// What a child prints for the runner: "ready <port>" once it listens, results as one JSON line each.
// Output goes to files, not pipes (Windows node.exe under Wine fails with EBADF on a pipe), and writes to a
// file are synchronous in Node, so a line is complete on disk before the child exits.

export const HOST = '127.0.0.1';

export function ready(port: number): void {
  process.stdout.write(`ready ${port}\n`);
}

export function report(result: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Errors a server connection may end with when the load generator exits; anything else is logged. */
export function isPeerGone(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_SOCKET_CLOSED';
}

/** The buffer iocp-net's bulk receivers read into, each read asking it full (minBytes): at least 256 KiB,
 *  or the writer's chunk if larger. The reader's size is its own choice (net's is libuv's fixed 64 KiB);
 *  full 64 KiB reads measured no faster than plain ones here, because the C writer's 64 KiB writes then
 *  still wake the reader once each (bench/README.md has the figures). */
export const bulkReadSize = (chunk: number): number => Math.max(chunk, 256 * 1024);
