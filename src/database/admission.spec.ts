import { ServiceUnavailableError } from '../common/errors/app-error';
import { Admission } from './admission';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('Admission', () => {
  it('admits at most `limit` at once, then first come first served', async () => {
    const admission = new Admission(2, 1000);
    const gates = [deferred(), deferred(), deferred()];
    const order: number[] = [];
    const runs = gates.map((g, i) => admission.run(async () => (order.push(i), g.promise)));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([0, 1]);
    expect(admission.waiting).toBe(1);
    gates[1]?.resolve();
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([0, 1, 2]);
    gates[0]?.resolve();
    gates[2]?.resolve();
    await Promise.all(runs);
    expect(admission.inUse).toBe(0);
  });

  it('a waiter not admitted in time gets 503, and never runs', async () => {
    jest.useFakeTimers();
    try {
      const admission = new Admission(1, 50);
      const gate = deferred();
      const first = admission.run(() => gate.promise);
      const work = jest.fn();
      const second = admission.run(work);
      jest.advanceTimersByTime(60);
      await expect(second).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect(work).not.toHaveBeenCalled();
      gate.resolve();
      await first;
      expect(admission.inUse).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('releases the slot when the work fails', async () => {
    const admission = new Admission(1, 1000);
    await expect(admission.run(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(admission.run(async () => 'ok')).resolves.toBe('ok');
  });

  it('lets one caller wait less than the bound (a request with little of its database budget left)', async () => {
    jest.useFakeTimers();
    try {
      const admission = new Admission(1, 5000);
      let release!: () => void;
      const holder = admission.run(() => new Promise<void>((r) => (release = r)));
      const work = jest.fn();
      const waiter = admission.run(work, 100);
      jest.advanceTimersByTime(150);
      await expect(waiter).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect(work).not.toHaveBeenCalled();
      release();
      await holder;
    } finally {
      jest.useRealTimers();
    }
  });
});
