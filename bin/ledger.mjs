#!/usr/bin/env node
// The `ledger` command: runs local/cli.ts through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../local/cli.ts');
