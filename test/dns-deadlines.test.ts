// The transport's resend deadlines (lib/dns/deadlines.ts): one timer for every query in flight.
import * as assert from 'node:assert/strict';
import { Deadlines, type Deadline } from '../lib/dns/deadlines';
import { sleep } from './helpers';

function entry(name: string, fired: string[]): Deadline {
  return { due: 0, prev: undefined, next: undefined, linked: false, expire: () => fired.push(name) };
}

describe('dns resend deadlines', () => {
  it('expire in deadline order, a shorter wait added last included; removed ones never expire', async () => {
    const list = new Deadlines();
    const fired: string[] = [];
    const a = entry('a', fired), b = entry('b', fired), c = entry('c', fired), d = entry('d', fired);
    list.add(a, 200);
    list.add(b, 300);
    list.add(c, 20);   // before both: the timer is moved earlier
    list.add(d, 250);
    list.remove(b);
    await sleep(120);   // wide margins: timers under Wine on a busy machine run late
    assert.deepEqual(fired, ['c']);
    await sleep(400);
    assert.deepEqual(fired, ['c', 'a', 'd']);
    assert.equal(a.linked || b.linked || c.linked || d.linked, false);
  });

  it('an entry that expires may add itself again (the next try)', async () => {
    const list = new Deadlines();
    let count = 0;
    const e: Deadline = {
      due: 0, prev: undefined, next: undefined, linked: false,
      expire: () => { if (++count < 3) list.add(e, 10); },
    };
    list.add(e, 10);
    await sleep(300);
    assert.equal(count, 3);
    assert.equal(e.linked, false);
  });

  it('holds no timer once empty, so it does not keep the process alive', () => {
    const list = new Deadlines();
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const e = entry('e', []);
    list.add(e, 10000);
    assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, before + 1);
    list.remove(e);
    assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, before);
  });
});
