/** The issues a spec text is refused with; fails the test when it is accepted. */
import { expect } from 'chai';
import { SpecError, type SpecIssue } from '../../lib/errors.js';
import { parseSpec } from '../../lib/spec/load.js';

export function issuesOf(text: string): readonly SpecIssue[] {
  try {
    parseSpec(text, 'prism.yaml');
  } catch (error) {
    if (error instanceof SpecError) return error.issues;
    throw error;
  }
  return expect.fail(`expected a SpecError, but the spec was accepted:\n${text.slice(0, 400)}`);
}
