import { isBehind } from './answers-lag.service';

const ends = (high: string, low = '0') => [{ topic: 't', partitions: [{ partition: 0, high, low }, { partition: 1, high: '0', low: '0' }] }];
const committed = (offset: string) => [{ topic: 't', partitions: [{ partition: 0, offset }, { partition: 1, offset: '-1' }] }];

describe('The answers consumer lag', () => {
  it('is behind while a committed offset is below the end of its partition', () => {
    expect(isBehind(committed('3'), ends('5'))).toBe(true);
  });

  it('is caught up when every partition is read to its end', () => {
    expect(isBehind(committed('5'), ends('5'))).toBe(false);
  });

  it('counts a partition without a commit from its first offset (a group that never consumed)', () => {
    expect(isBehind(committed('-1'), ends('5'))).toBe(true);
    expect(isBehind(committed('-1'), ends('5', '5'))).toBe(false);
    expect(isBehind([], ends('2'))).toBe(true);
  });
});
