#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npx mm` always runs the checked-out code.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
