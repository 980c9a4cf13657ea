/** The `// prism:destructive {…}` lines that `generate` writes into migration files. */
import { readFileSync } from 'node:fs';
import type { DestructiveChange } from '../diff/destructive.js';

const MARKER = /^\/\/ prism:destructive (\{.*\})\s*$/gm;

export function destructiveMarkers(file: string): DestructiveChange[] {
  const found: DestructiveChange[] = [];
  for (const match of readFileSync(file, 'utf8').matchAll(MARKER)) {
    try {
      const marker = JSON.parse(match[1] as string) as DestructiveChange;
      if (typeof marker.code === 'string' && typeof marker.table === 'string') found.push(marker);
    } catch {
      // A hand-edited marker that is not JSON marks nothing.
    }
  }
  return found;
}
