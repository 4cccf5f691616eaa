// The benchmark harness itself (npm run bench): that netbench builds, and that a smoke run of two scenarios
// measures both sides and the C reference, with their CPU time per operation, and writes its JSON. The
// numbers of a smoke run say nothing; what is checked is that each one was measured. Linux only: the runner
// and netbench run natively (under Wine only the side under test does, through npm run bench:wine).
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { platformIt } from './helpers';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');

interface Stat { samples: number[]; median: number }
interface Row { id: string; unit: string; iocp: Stat | null; net: Stat | null; ref: Stat | null; ratio: number | null }

describe('bench harness', function () {
  this.timeout(120_000);

  platformIt('linux', 'a smoke run measures rates and CPU per operation on both sides and the C reference, and writes them', async () => {
    await run('bash', ['bench/build.sh'], { cwd: root });
    const results = fs.mkdtempSync(path.join(os.tmpdir(), 'iocp-net-bench-test-'));
    try {
      const { stdout } = await run(process.execPath,
        ['dist/bench/run.js', '--smoke', '--only', 'server-pingpong-1,server-accept-close', '--results', results],
        { cwd: root });
      assert.match(stdout, /server accept\+close, 64 connecting: server CPU per connection/);
      const report = JSON.parse(fs.readFileSync(path.join(results, 'latest.json'), 'utf8')) as { rows: Row[]; failures: unknown[] };
      assert.deepEqual(report.failures, []);
      const ids = report.rows.map((r) => r.id);
      for (const id of ['server-pingpong-1', 'server-pingpong-1-server-cpu-per-round-trip',
        'server-accept-close', 'server-accept-close-server-cpu-per-connection']) {
        const row = report.rows.find((r) => r.id === id);
        assert.ok(row, `no row ${id} among ${ids.join(', ')}`);
        for (const side of ['iocp', 'net', 'ref'] as const) {
          const m = row[side]?.median;
          assert.ok(m !== undefined && Number.isFinite(m) && m > 0, `${id}: ${side} measured ${m}`);
        }
        assert.ok(row.ratio !== null && row.ratio > 0, `${id}: ratio ${row.ratio}`);
      }
      assert.ok(fs.statSync(path.join(results, 'ratios.svg')).size > 0);
    } finally {
      fs.rmSync(results, { recursive: true, force: true });
    }
  });
});
