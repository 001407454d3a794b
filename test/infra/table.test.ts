import { describe, expect, it } from 'vitest';
import { ledgerKeyAttributes, ledgerTable } from '../../shared/adapters/dynamo/table.js';

describe('table definition (shared/adapters/dynamo/table.ts)', () => {
  it('uses generic pk/sk keys', () => {
    expect(ledgerTable.partitionKey).toBe('pk');
    expect(ledgerTable.sortKey).toBe('sk');
  });

  it('has at least one global secondary index with both keys', () => {
    const indexes = Object.entries(ledgerTable.globalIndexes);
    expect(indexes.length).toBeGreaterThanOrEqual(1);
    for (const [name, index] of indexes) {
      expect(name).toMatch(/^gsi\d+$/);
      expect(index.partitionKey).toBe(`${name}pk`);
      expect(index.sortKey).toBe(`${name}sk`);
    }
  });

  it('declares a type for every key attribute and no attribute that is not a key', () => {
    const keys = [
      ledgerTable.partitionKey,
      ledgerTable.sortKey,
      ...Object.values(ledgerTable.globalIndexes).flatMap((index) => [index.partitionKey, index.sortKey]),
    ];
    expect(Object.keys(ledgerKeyAttributes).sort()).toEqual([...new Set(keys)].sort());
    for (const type of Object.values(ledgerKeyAttributes)) expect(['S', 'N', 'B']).toContain(type);
  });

  it('expires items through a TTL attribute that is not a key', () => {
    expect(ledgerTable.ttlAttribute).toBe('expiresAt');
    expect(Object.keys(ledgerKeyAttributes)).not.toContain(ledgerTable.ttlAttribute);
  });

  it('streams new and old images', () => {
    expect(ledgerTable.stream).toBe('new-and-old-images');
  });
});
