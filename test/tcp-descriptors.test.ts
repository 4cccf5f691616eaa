// A server that runs out of file descriptors (EMFILE) must keep serving once some come back: the clients
// wait in the kernel's backlog meanwhile. Before, iteration over the server ended with the error, and a
// listener that had reported it never looked at its backlog again until yet another client arrived, so
// the clients already waiting hung. Linux only: the child runs under `ulimit -n`, and Windows has no
// per-process socket limit a test can lower.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { platformIt } from './helpers';

const CLIENTS = 100;
const FIXTURE = path.join(__dirname, 'fixtures', 'short-of-descriptors.js');

/** Runs the fixture under a 48-descriptor limit, connects CLIENTS clients at once and waits until every one
 *  was greeted. Resolves with the child's stdout and stderr. */
async function serveUnderLimit(loop: 'iterate' | 'accept'): Promise<{ stdout: string; stderr: string }> {
  const child = spawn('bash', ['-c', `ulimit -n 48 && exec "${process.execPath}" "${FIXTURE}" --loop ${loop} --hold 200`]);
  let stdout = '', stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const sockets: net.Socket[] = [];
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', () => { const m = /port (\d+)/.exec(stdout); if (m) resolve(Number(m[1])); });
      child.on('exit', (code) => reject(new Error(`the server exited (${code}): ${stdout}${stderr}`)));
    });
    let greeted = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${greeted} of ${CLIENTS} clients greeted after 20 s\n${stdout}${stderr}`)), 20000);
      for (let i = 0; i < CLIENTS; i++) {
        const s = net.connect(port, '127.0.0.1');
        sockets.push(s);
        s.on('error', () => {});  // a client the server had to drop shows up as missing below
        s.once('data', () => {
          if (++greeted === CLIENTS) {
            clearTimeout(timer);
            resolve();
          }
        });
      }
    });
    return { stdout, stderr };
  } finally {
    for (const s of sockets) s.destroy();
    child.kill();
  }
}

describe('TCP servers short of descriptors', function () {
  this.timeout(30000);

  platformIt('linux', 'iterating over a server survives EMFILE with a warning and serves every waiting client', async () => {
    const { stderr } = await serveUnderLimit('iterate');
    assert.match(stderr, /IOCP_NET_ACCEPT_RETRY.*accept failed with EMFILE/, 'the run never ran out of descriptors');
  });

  platformIt('linux', 'after accept() rejects with EMFILE, the next accept() takes the clients already waiting', async () => {
    const { stdout } = await serveUnderLimit('accept');
    assert.match(stdout, /error EMFILE/, 'the run never ran out of descriptors');
    assert.doesNotMatch(stdout, /error (?!EMFILE)/);
  });
});
