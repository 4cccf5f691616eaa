// What the TCP and UDP lifecycle suites share: a full garbage collection with finalizers run, and a child
// process run to its end.
import { spawn } from 'node:child_process';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { sleep } from './helpers';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

export async function collect(): Promise<void> {
  // Finalizers of collected wrappers run after the collection, on a later turn of the loop.
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
  }
}

/** Runs `exe script ...args`; resolves with its exit code, 'killed', or why it was stopped. */
export function runChild(exe: string, script: string, timeoutMs: number, args: string[] = []): Promise<number | string> {
  return new Promise((resolve) => {
    // stdio ignored: under Wine a node.exe whose stdout is a pipe fails with EBADF.
    const child = spawn(exe, [script, ...args], { stdio: 'ignore' });
    const timer = setTimeout(() => {
      child.kill();
      resolve('did not exit within the time limit');
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? 'killed');
    });
  });
}
