// What the results were measured on, for the JSON report: the machine, the runner, and the side under test
// as it reports itself (node version and iocp-net backend of the process that actually runs the scenarios).
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Launcher } from './launch';
import { withChildren, type Json } from './proc';

export interface SideInfo { node: string; platform: string; arch: string; backend: string }

/** Starts the probe script through the side command: proves the side starts, and says what it is. */
export function probeSide(L: Launcher): Promise<SideInfo> {
  return withChildren(async (started) => {
    const probe = L.start(started, { name: 'probe (side under test)', script: 'probe', args: [] });
    return (await probe.result(L.readyMs)) as unknown as SideInfo;
  });
}

function cpuModel(): string {
  const model = os.cpus()[0]?.model;
  if (model) return model.trim();
  const m = /model name\s*:\s*(.*)/.exec(fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '');
  return m ? m[1] : 'unknown';
}

export function machineInfo(): Json {
  return {
    host: os.hostname(),
    cpu: cpuModel(),
    cores: os.availableParallelism(),
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    runnerNode: process.version,
  };
}
