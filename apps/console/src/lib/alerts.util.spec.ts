import type { AlertView, RuleView } from '../api/alerts.api';
import {
  alertNotice,
  alertStatusDisplay,
  applyAlertEvent,
  evidenceDigest,
  formatWindow,
  parseAlertMessage,
  ruleDraftOf,
  ruleLabel,
  rulePatch,
  severityColor,
  thresholdLabel,
  timeAgo,
  type AlertStreamEvent,
} from './alerts.util';

const alert = (over: Partial<AlertView> = {}): AlertView => ({
  id: 'a1',
  rule: 'bulk-export',
  severity: 'high',
  score: 70,
  userId: 'u1',
  summary: '5 rows exported within 60 min (threshold 3)',
  evidence: ['e1'],
  count: 1,
  firstSeenAt: '2030-01-01T10:00:00.000Z',
  lastSeenAt: '2030-01-01T10:00:00.000Z',
  status: 'open',
  acknowledgedBy: null,
  acknowledgedAt: null,
  resolvedBy: null,
  resolvedAt: null,
  resolution: null,
  comment: null,
  responses: [],
  ...over,
});

const raised = (alertId: string, severity = 'high'): AlertStreamEvent => ({
  type: 'AlertRaised',
  occurredAt: '2030-01-01T11:00:00.000Z',
  data: {
    alertId,
    rule: 'new-country',
    severity,
    score: 80,
    userId: 'u2',
    summary: 'first login from FR',
    evidence: ['e9'],
    count: 1,
    firstSeenAt: '2030-01-01T11:00:00.000Z',
    lastSeenAt: '2030-01-01T11:00:00.000Z',
  },
});

describe('severity, status and rule display', () => {
  it('colours the severities from calm to urgent, grey for an unknown one', () => {
    expect(['low', 'medium', 'high', 'critical', 'odd'].map(severityColor)).toEqual([
      'blue',
      'yellow',
      'orange',
      'red',
      'gray',
    ]);
  });

  it('names rules, thresholds, statuses and windows in words', () => {
    expect(ruleLabel('bulk-export')).toBe('Bulk export');
    expect(ruleLabel('some-future_rule')).toBe('Some future rule');
    expect(thresholdLabel('absoluteRows')).toBe('absolute rows');
    expect(alertStatusDisplay('false_positive')).toEqual({ label: 'false positive', color: 'gray' });
    expect(alertStatusDisplay('open').color).toBe('red');
    expect([45, 600, 3600, 5400, 86_400].map(formatWindow)).toEqual([
      '45 s',
      '10 min',
      '1 h',
      '1 h 30 min',
      '24 h',
    ]);
  });

  it('says how long ago something happened', () => {
    const now = new Date('2030-01-03T12:00:00Z');
    expect(timeAgo('2030-01-03T11:59:40Z', now)).toBe('just now');
    expect(timeAgo('2030-01-03T11:55:00Z', now)).toBe('5 min ago');
    expect(timeAgo('2030-01-03T09:00:00Z', now)).toBe('3 h ago');
    expect(timeAgo('2029-12-30T12:00:00Z', now)).toBe('4 days ago');
    expect(timeAgo('soon', now)).toBe('soon');
  });
});

describe('parseAlertMessage', () => {
  it('reads the alert event of a stream message', () => {
    const event = parseAlertMessage({
      id: '1.2',
      event: 'AlertAcknowledged',
      data: JSON.stringify({ type: 'AlertAcknowledged', occurredAt: 't', data: { alertId: 'a1', by: 'u9' } }),
    });
    expect(event).toEqual({ type: 'AlertAcknowledged', occurredAt: 't', data: { alertId: 'a1', by: 'u9' } });
  });

  it('skips malformed JSON, other event types and events without an alert id', () => {
    const parse = (data: string) => parseAlertMessage({ id: null, event: 'message', data });
    expect(parse('{not json')).toBeNull();
    expect(parse('null')).toBeNull();
    expect(parse(JSON.stringify({ type: 'AlertRuleChanged', data: { alertId: 'x' } }))).toBeNull();
    expect(parse(JSON.stringify({ type: 'AlertRaised', data: { rule: 'x' } }))).toBeNull();
    expect(parse(JSON.stringify({ type: 'AlertRaised', data: 'x' }))).toBeNull();
  });
});

describe('applyAlertEvent', () => {
  it('puts a raised alert at the top as open, and refreshes one the list already holds', () => {
    const list = applyAlertEvent([alert()], raised('a2'));
    expect(list.map((a) => [a.id, a.status, a.rule])).toEqual([
      ['a2', 'open', 'new-country'],
      ['a1', 'open', 'bulk-export'],
    ]);
    const again = applyAlertEvent([alert({ id: 'a2', status: 'acknowledged' })], raised('a2'));
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ id: 'a2', status: 'acknowledged', summary: 'first login from FR' });
  });

  it('updates count, severity and evidence, then acknowledges and resolves the alert', () => {
    let list = [alert(), alert({ id: 'other' })];
    list = applyAlertEvent(list, {
      type: 'AlertUpdated',
      occurredAt: 't1',
      data: {
        alertId: 'a1',
        severity: 'critical',
        score: 95,
        addedEvidence: ['e1', 'e2'],
        count: 2,
        lastSeenAt: 't1',
      },
    });
    expect(list[0]).toMatchObject({
      severity: 'critical',
      score: 95,
      count: 2,
      evidence: ['e1', 'e2'],
      lastSeenAt: 't1',
    });
    list = applyAlertEvent(list, {
      type: 'AlertAcknowledged',
      occurredAt: 't2',
      data: { alertId: 'a1', by: 'so' },
    });
    expect(list[0]).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'so', acknowledgedAt: 't2' });
    list = applyAlertEvent(list, {
      type: 'AlertResolved',
      occurredAt: 't3',
      data: { alertId: 'a1', by: 'so', resolution: 'false_positive', comment: 'test data' },
    });
    expect(list[0]).toMatchObject({
      status: 'false_positive',
      resolution: 'false_positive',
      resolvedBy: 'so',
      resolvedAt: 't3',
      comment: 'test data',
    });
    list = applyAlertEvent(list, {
      type: 'AlertResponseTaken',
      occurredAt: 't4',
      data: { alertId: 'a1', response: 'suspend-exports', undo: true, reference: 'r1' },
    });
    expect(list[0].responses).toHaveLength(1);
    expect(list[1]).toEqual(alert({ id: 'other' }));
  });

  it('leaves the list as it is for an event about an alert it does not hold', () => {
    const list = [alert()];
    const after = applyAlertEvent(list, {
      type: 'AlertAcknowledged',
      occurredAt: 't',
      data: { alertId: 'zz', by: 'x' },
    });
    expect(after).toEqual(list);
  });
});

describe('alertNotice', () => {
  it('announces new alerts and escalations, nothing else', () => {
    expect(alertNotice(raised('a9', 'critical'), undefined)).toEqual({
      title: 'New critical alert: Sign-in from a new country',
      message: 'first login from FR',
      color: 'red',
    });
    expect(alertNotice(raised('a1'), alert())).toBeNull();
    const update = (severity: string): AlertStreamEvent => ({
      type: 'AlertUpdated',
      occurredAt: 't',
      data: { alertId: 'a1', severity, score: 1, addedEvidence: [], count: 2, lastSeenAt: 't' },
    });
    expect(alertNotice(update('critical'), alert())?.title).toBe('Alert raised to critical: Bulk export');
    expect(alertNotice(update('high'), alert())).toBeNull();
    expect(
      alertNotice({ type: 'AlertAcknowledged', occurredAt: 't', data: { alertId: 'a1', by: 'x' } }, alert()),
    ).toBeNull();
  });
});

describe('evidenceDigest', () => {
  it('picks the facts of an event a reviewer looks for', () => {
    expect(
      evidenceDigest({
        data: { exportId: 'x1', rowCount: 5, fields: ['name', 'mobile'], clearFields: [], sha256: 'abc' },
      }),
    ).toBe('row count: 5 · fields: name, mobile · clear fields: — · export id: x1');
    expect(evidenceDigest({ data: { mfa: true, geo: { city: 'Lyon', country: 'FR' } } })).toBe(
      'mfa: true · geo: Lyon, FR',
    );
    expect(evidenceDigest({ data: null })).toBe('—');
  });
});

describe('rulePatch', () => {
  const rule: RuleView = {
    id: 'bulk-export',
    enabled: true,
    severity: 'high',
    windowSeconds: 3600,
    thresholds: { absoluteRows: 5000, baselineMultiplier: 1, minRows: 500 },
    response: [],
    defaults: {
      enabled: true,
      severity: 'high',
      windowSeconds: 3600,
      thresholds: { absoluteRows: 5000, baselineMultiplier: 1, minRows: 500 },
      response: [],
    },
  };

  it('sends only what changed', () => {
    const draft = ruleDraftOf(rule);
    expect(rulePatch(rule, draft)).toEqual({ ok: true, patch: {}, changed: false });
    const changed = {
      ...draft,
      severity: 'critical',
      windowSeconds: ' 600 ',
      thresholds: { ...draft.thresholds, absoluteRows: '3', minRows: '500' },
    };
    expect(rulePatch(rule, changed)).toEqual({
      ok: true,
      patch: { severity: 'critical', windowSeconds: 600, thresholds: { absoluteRows: 3 } },
      changed: true,
    });
    expect(rulePatch(rule, { ...draft, enabled: false })).toEqual({
      ok: true,
      patch: { enabled: false },
      changed: true,
    });
    expect(
      rulePatch(rule, { ...draft, thresholds: { ...draft.thresholds, baselineMultiplier: '1.5' } }),
    ).toMatchObject({
      patch: { thresholds: { baselineMultiplier: 1.5 } },
    });
  });

  it('names each field the service would refuse', () => {
    const draft = ruleDraftOf(rule);
    expect(
      rulePatch(rule, {
        ...draft,
        severity: 'urgent',
        windowSeconds: '5',
        thresholds: { absoluteRows: '-1', minRows: '', surprise: '3' },
      }),
    ).toEqual({
      ok: false,
      errors: {
        severity: 'Choose low, medium, high or critical',
        windowSeconds: 'A whole number of seconds from 10 to 86,400',
        'thresholds.absoluteRows': 'A number from 0 to 1,000,000,000',
        'thresholds.minRows': 'A number from 0 to 1,000,000,000',
        'thresholds.surprise': 'The rule has no threshold named surprise',
      },
    });
    expect(rulePatch(rule, { ...draft, windowSeconds: '90000' })).toMatchObject({ ok: false });
    expect(rulePatch(rule, { ...draft, windowSeconds: '1.5' })).toMatchObject({ ok: false });
  });
});
