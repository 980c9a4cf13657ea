import { expect } from 'chai';
import { parseSpec } from '../../../lib/spec/load.js';
import { issuesOf } from '../../helpers/spec-issues.js';
import { findTooDeep, MAX_NESTING } from '../../../lib/spec/nesting.js';

const TOO_DEEP = `the YAML nests mappings and lists deeper than ${MAX_NESTING} levels here`;

/** `models:` is level 1; the n-th `[` after it is level n + 1, at column 8 + n. */
const brackets = (n: number, close = true) =>
  `models: ${'['.repeat(n)}${close ? ']'.repeat(n) : ''}\n`;

describe('spec/nesting: deeply nested YAML is refused where it passes the limit', () => {
  it('10,000 nested [ ]: one located issue, not a stack overflow', () => {
    const issues = issuesOf(brackets(10_000));
    expect(issues).to.have.length(1);
    expect(issues[0]).to.include({ file: 'prism.yaml', line: 1, column: 8 + MAX_NESTING });
    expect(issues[0]?.message).to.equal(TOO_DEEP);
    expect(issues[0]?.hint).to.be.a('string').and.not.equal('');
  });

  it('10,000 unclosed [: the same one issue, not thousands of syntax errors', () => {
    const issues = issuesOf(brackets(10_000, false));
    expect(issues.map((i) => [i.line, i.column, i.message])).to.deep.equal([
      [1, 8 + MAX_NESTING, TOO_DEEP],
    ]);
  });

  it('a megabyte of [ is refused at once', () => {
    const issues = issuesOf(brackets(1_000_000, false));
    expect(issues.map((i) => [i.line, i.column])).to.deep.equal([[1, 8 + MAX_NESTING]]);
  });

  it('10,000 nested flow mappings {a: …}', () => {
    const text = `models: ${'{a: '.repeat(10_000)}1${'}'.repeat(10_000)}\n`;
    const issues = issuesOf(text);
    expect(issues).to.have.length(1);
    // `{` number k is at column 9 + 4 (k - 1) and is level k + 1.
    expect(issues[0]).to.include({ line: 1, column: 9 + 4 * (MAX_NESTING - 1), message: TOO_DEEP });
  });

  it('block mappings nested by indentation, 3,000 deep', () => {
    let text = 'models:\n';
    for (let k = 0; k < 3000; k++) text += `${'  '.repeat(k + 1)}a:\n`;
    const issues = issuesOf(text);
    expect(issues).to.have.length(1);
    // Line k + 2 opens level k + 2: the first too deep is on line MAX_NESTING + 1.
    expect(issues[0]).to.include({ line: MAX_NESTING + 1, message: TOO_DEEP });
    expect(issues[0]?.column).to.equal(2 * MAX_NESTING + 1);
  });

  it('compact block sequences `- - - …` on one line', () => {
    const issues = issuesOf(`models:\n  ${'- '.repeat(10_000)}x\n`);
    expect(issues).to.have.length(1);
    expect(issues[0]).to.include({ line: 2, message: TOO_DEEP });
  });

  it('deep nesting inside an otherwise valid model, under an unknown key', () => {
    const text = [
      'models:',
      '  - name: M',
      '    fields: [{name: a, type: text}]',
      `    extra: ${'['.repeat(200)}${']'.repeat(200)}`,
      '',
    ].join('\n');
    const issues = issuesOf(text);
    expect(issues).to.have.length(1);
    // models (1), the list (2), the model (3): `[` number k is level k + 3, at column 12 + k.
    expect(issues[0]).to.include({ line: 4, column: 12 + MAX_NESTING - 3, message: TOO_DEEP });
  });

  it('exactly the limit is read as usual (and then judged as a spec)', () => {
    const issues = issuesOf(brackets(MAX_NESTING - 1));
    expect(issues.map((i) => i.message).join('\n')).to.not.include('nests');
    expect(findTooDeep(brackets(MAX_NESTING - 1))).to.equal(undefined);
    expect(findTooDeep(brackets(MAX_NESTING))).to.deep.equal({ offset: 8 + MAX_NESTING - 1 });
  });

  it('brackets inside quoted text and comments do not count', () => {
    const deep = '['.repeat(1000);
    const text = [
      'models:',
      '  - name: M',
      `    # ${deep}`,
      '    fields:',
      `      - { name: a, type: text, default: ${JSON.stringify(deep)} }`,
      '',
    ].join('\n');
    expect(parseSpec(text, 'prism.yaml').spec.models[0]?.fields[0]?.default).to.deep.equal({
      kind: 'literal',
      value: deep,
    });
  });

  it('lists at most 20 syntax errors, then how many more there are', () => {
    const issues = issuesOf(`models:\n${'  - ]\n'.repeat(50)}`);
    expect(issues).to.have.length(21);
    expect(issues[20]?.message).to.match(
      /^YAML syntax error: \d+ more from here on \(the first 20/,
    );
    expect(issues[20]?.line).to.be.greaterThan(1);
  });
});
