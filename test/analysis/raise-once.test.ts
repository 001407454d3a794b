import { describe, expect, it } from 'vitest';
import { LocalEventBus } from '../../shared/adapters/events.js';
import { raiseOnce } from '../../shared/services/notify/raise-once.js';
import { notificationStores } from '../notifications/stores.js';

const NOW = Date.parse('2026-11-21T06:00:00Z');
const alert = (alertKey: string) => ({ alertKey, event: { name: 'test.alert', detail: { alertKey } } });
const keysOf = (bus: LocalEventBus) => bus.published.map((e) => (e.detail as { alertKey: string }).alertKey);

describe('raiseOnce on the alert store', () => {
  it('raises each alert once; a failed publish releases only the alert it could not send, and later alerts wait for the next run', async () => {
    const { alerts } = await notificationStores();
    const down = new LocalEventBus();
    down.subscribe((event) => {
      if ((event.detail as { alertKey: string }).alertKey === 'b') throw new Error('bus unavailable');
    });
    await expect(raiseOnce({ alerts, events: down }, ['a', 'b', 'c'].map(alert), NOW)).rejects.toThrow('bus unavailable');
    expect(keysOf(down)).toEqual(['a', 'b']); // the local bus records b before its subscriber fails

    const bus = new LocalEventBus();
    expect(await raiseOnce({ alerts, events: bus }, ['a', 'b', 'c'].map(alert), NOW + 3_600_000)).toBe(2);
    expect(keysOf(bus)).toEqual(['b', 'c']);
    expect(await raiseOnce({ alerts, events: bus }, ['a', 'b', 'c'].map(alert), NOW + 7_200_000)).toBe(0);
    expect(keysOf(bus)).toEqual(['b', 'c']);
  });
});
