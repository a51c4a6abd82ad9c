#!/usr/bin/env -S node --no-memory-reducer
// A standalone entry for `tsnet switch` (the foreground overlay switch), so it can run without the
// rest of the CLI: `node dist/src/cli/switch-main.js --network multi --vni 42 --peer 10.200.0.2 ...`.
// Used by the overlay integration tests; `tsnet switch` in main.ts runs the same command.
// The shebang's --no-memory-reducer: see src/cli/main.ts.
import { asTsnetError, CATEGORY_EXIT_CODE } from '../errors.js';
import { runSwitchCommand } from './switch-command.js';

runSwitchCommand(process.argv.slice(2)).then(
  (code) => {
    process.exit(code);
  },
  (err: unknown) => {
    const e = asTsnetError(err);
    process.stderr.write(`tsnet switch: ${e.message}\n`);
    if (process.env.TSNET_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exit(CATEGORY_EXIT_CODE[e.category]);
  },
);
