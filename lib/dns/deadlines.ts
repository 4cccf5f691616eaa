// The resend deadlines of every query in flight on one transport: one list, in deadline order, and one Node
// timer for the earliest. A Node timer per query (a Timeout object, its list and its cancellation) was 6%
// of a query's CPU time against an in-memory server. The list is intrusive, so a query that ends unlinks
// itself at once and nothing is kept for it; while the list holds anything, the timer keeps the process
// alive, as the per-query timers did.

/** An entry: the query itself (transport.ts), linked while it waits. */
export interface Deadline {
  due: number;
  prev: Deadline | undefined;
  next: Deadline | undefined;
  linked: boolean;
  /** Called when `due` has passed (the entry is unlinked first). */
  expire(): void;
}

export class Deadlines {
  #head: Deadline | undefined;
  #tail: Deadline | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The deadline the timer is set for (Infinity: none). */
  #armedFor = Infinity;

  /** Links `d` to expire `delay` ms from now. */
  add(d: Deadline, delay: number): void {
    if (d.linked) this.remove(d);
    d.due = Date.now() + delay;
    // Deadlines arrive in order when every query waits the same `timeout`, so this is an append; a
    // shorter wait (the end of a query's total budget) walks back to its place.
    let before = this.#tail;
    while (before !== undefined && before.due > d.due) before = before.prev;
    d.prev = before;
    d.next = before === undefined ? this.#head : before.next;
    if (d.next === undefined) this.#tail = d;
    else d.next.prev = d;
    if (before === undefined) this.#head = d;
    else before.next = d;
    d.linked = true;
    if (d.due < this.#armedFor) this.#arm(d.due);
  }

  remove(d: Deadline): void {
    if (!d.linked) return;
    if (d.prev === undefined) this.#head = d.next;
    else d.prev.next = d.next;
    if (d.next === undefined) this.#tail = d.prev;
    else d.next.prev = d.prev;
    d.prev = d.next = undefined;
    d.linked = false;
    if (this.#head === undefined && this.#timer !== undefined) {
      clearTimeout(this.#timer);   // nothing waits: let the process exit
      this.#timer = undefined;
      this.#armedFor = Infinity;
    }
  }

  #arm(due: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = due;
    this.#timer = setTimeout(this.#fire, Math.max(1, due - Date.now()));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const now = Date.now();
    // expire() may link new deadlines (the next try); they lie in the future, so this ends.
    for (let d = this.#head; d !== undefined && d.due <= now; d = this.#head) {
      this.remove(d);
      d.expire();
    }
    if (this.#head !== undefined && this.#timer === undefined) this.#arm(this.#head.due);
  };
}
