#!/usr/bin/env node
// `prism db <command>` runs `prism-migrate <command>`.
import { main } from '../dist/lib/cli/main.js';

const args = process.argv.slice(2);
if (args[0] !== 'db') {
  process.stderr.write(
    'usage: prism db <command> [options]   (the same commands as prism-migrate)\n',
  );
  process.exitCode = 2;
} else {
  process.exitCode = await main(args.slice(1));
}
