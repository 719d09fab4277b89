import type { Finding } from '../detection/detection.types';

/**
 * The findings of a batch per (rule, subject), in a fixed order of (rule, subject) across the
 * batch (two instances never lock `open_alerts` rows in opposite orders), each group in the order
 * of its events. `i` is the index of the finding's event in the batch.
 */
export function groupedFindings(findings: ReadonlyArray<readonly Finding[]>): Array<Array<{ finding: Finding; i: number }>> {
  const key = (f: Finding) => `${f.rule}\u0000${f.subject}`;
  const groups = new Map<string, Array<{ finding: Finding; i: number }>>();
  findings.forEach((list, i) => {
    for (const finding of list) {
      const group = groups.get(key(finding));
      if (group) group.push({ finding, i });
      else groups.set(key(finding), [{ finding, i }]);
    }
  });
  return [...groups.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((k) => groups.get(k) as Array<{ finding: Finding; i: number }>);
}
