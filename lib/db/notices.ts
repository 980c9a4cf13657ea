/**
 * Which server messages (NOTICE and the like) a user should see while migrations run.
 * Migrations' NOTICEs say what was skipped (e.g. TimescaleDB features on plain
 * PostgreSQL). The embedded build also sends DEBUG messages (e.g. `EventTriggerInvoke`)
 * and its single backend's bookkeeping, numbered `# <n>: …` (e.g. `# 1743: aborting
 * transaction 742`): engine internals, not for users.
 */
export interface ServerNotice {
  readonly message?: string | undefined;
  readonly severity?: string | undefined;
  readonly hint?: string | undefined;
}

/** A notice as the log shows it: `notice: …` or `warning: …`, and its hint on a line of its own. */
export function noticeLines(notice: ServerNotice): string[] {
  const kind = notice.severity === 'WARNING' ? 'warning' : 'notice';
  return [
    `${kind}: ${notice.message ?? ''}`,
    ...(notice.hint === undefined ? [] : [`  hint: ${notice.hint}`]),
  ];
}

const ENGINE_BOOKKEEPING = /^# \d+: /;

export function isUserNotice(notice: ServerNotice): boolean {
  return !notice.severity?.startsWith('DEBUG') && !ENGINE_BOOKKEEPING.test(notice.message ?? '');
}
