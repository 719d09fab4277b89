import type { Admin, ITopicMetadata } from 'kafkajs';
import { ensureTopics, waitForTopicLeaders } from './kafka';

type Answer = ITopicMetadata[] | { type: string; message: string };

/** An admin whose metadata answers are scripted, one per call (the last one repeats). */
function scriptedAdmin(answers: Answer[], existing: string[] = []) {
  const calls = { metadata: 0, created: [] as string[][] };
  const admin = {
    listTopics: async () => existing,
    createTopics: async ({ topics }: { topics: Array<{ topic: string }> }) => {
      calls.created.push(topics.map((t) => t.topic));
      return true;
    },
    fetchTopicMetadata: async () => {
      const answer = answers[Math.min(calls.metadata++, answers.length - 1)];
      if (!Array.isArray(answer)) throw Object.assign(new Error(answer.message), { type: answer.type });
      return { topics: answer };
    },
  } as unknown as Admin;
  return { admin, calls };
}

const unknown = { type: 'UNKNOWN_TOPIC_OR_PARTITION', message: 'This server does not host this topic-partition' };
const ready = (name: string): ITopicMetadata[] => [
  { name, partitions: [{ partitionId: 0, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0, offlineReplicas: [] }] },
];

describe('waitForTopicLeaders', () => {
  it('waits through "does not host this topic-partition" and a leaderless partition until the leaders are there', async () => {
    const leaderless: ITopicMetadata[] = [
      { name: 't', partitions: [{ partitionId: 0, leader: -1, replicas: [1], isr: [], partitionErrorCode: 5, offlineReplicas: [] }] },
    ];
    const { admin, calls } = scriptedAdmin([unknown, unknown, leaderless, ready('t')]);
    await waitForTopicLeaders(admin, ['t'], 5000);
    expect(calls.metadata).toBe(4);
  });

  it('names what it still waited for when the time is up', async () => {
    const { admin } = scriptedAdmin([unknown]);
    await expect(waitForTopicLeaders(admin, ['orders'], 200)).rejects.toThrow(
      /not ready after 200 ms: still waiting for the broker to answer for orders \(UNKNOWN_TOPIC_OR_PARTITION\)/,
    );
  });

  it('passes any other broker error on at once', async () => {
    const { admin, calls } = scriptedAdmin([{ type: 'TOPIC_AUTHORIZATION_FAILED', message: 'not authorized' }]);
    await expect(waitForTopicLeaders(admin, ['t'], 5000)).rejects.toThrow('not authorized');
    expect(calls.metadata).toBe(1);
  });
});

describe('ensureTopics', () => {
  it('creates only the missing topics, then waits for all of them to have leaders', async () => {
    const { admin, calls } = scriptedAdmin([unknown, [...ready('old'), ...ready('new')]], ['old']);
    await ensureTopics(admin, ['old', 'new']);
    expect(calls.created).toEqual([['new']]);
    expect(calls.metadata).toBe(2);
  });
});
