// examples/dig.ts against the fixture DNS server: the answer printed the way dig prints it.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { dig } from '../examples/dig';
import { fixtureDns } from './dns-helpers';
import { platformIt } from './helpers';

async function run(...args: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await dig(args, (l) => lines.push(l));
  return { code, text: lines.join('\n') };
}

describe('examples/dig', function () {
  this.timeout(60000);
  let server: string;
  before(async () => { server = await fixtureDns(); });

  it('prints header, question and answer sections like dig', async () => {
    const { code, text } = await run('example.test', 'MX', `@${server}`);
    assert.equal(code, 0);
    assert.match(text, /;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: \d+/);
    assert.match(text, /;; flags: qr aa rd ra; QUERY: 1, ANSWER: 2,/);
    assert.match(text, /;; QUESTION SECTION:\n;example\.test\.\t+IN\tMX/);
    assert.match(text, /example\.test\.\t+300\tIN\tMX\t10 mail\.example\.test\./);
    assert.match(text, /example\.test\.\t+300\tIN\tMX\t20 mail2\.example\.test\./);
    assert.match(text, new RegExp(`;; SERVER: ${server.replace(/\./g, '\\.')} \\(UDP\\)`));
  });

  it('+short, -x, TXT quoting, NXDOMAIN, and the TCP fallback', async () => {
    assert.equal((await run('www.example.test', `@${server}`, '+short')).text, 'web.example.test.\nhost.example.test.\n192.0.2.80');
    assert.equal((await run('-x', '192.0.2.1', `@${server}`, '+short')).text, 'example.test.');
    const txt = (await run('example.test', 'TXT', `@${server}`, '+short')).text.split('\n').sort();
    assert.deepEqual(txt, ['"hello" "world"', '"v=spf1 -all"']);
    assert.match((await run('nope.test', `@${server}`)).text, /status: NXDOMAIN/);
    const big = await run('big.test', `@${server}`);
    assert.equal(big.text.match(/\tIN\tA\t10\.1\./g)?.length, 100);
    assert.match(big.text, /\(TCP, after a truncated UDP answer\)/);
  });

  it('exits with 9 when no server answers, 1 on bad usage', async () => {
    assert.equal((await run('example.test', '@127.0.0.1:1', '+timeout=200', '+tries=1')).code, 9);
    assert.equal((await run()).code, 1);
  });

  platformIt('linux', 'runs as a program: node dist/examples/dig.js example.test MX @server', async () => {
    const script = path.resolve(__dirname, '..', 'examples', 'dig.js');
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [script, 'example.test', 'MX', `@${server}`], (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    assert.match(out, /IN\tMX\t10 mail\.example\.test\./);
  });
});
