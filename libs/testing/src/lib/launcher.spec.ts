import { appNodeFlags } from './launcher';

describe('appNodeFlags', () => {
  it("reads an app's Node options from apps/<app>/node.flags, comments and blank lines left out", () => {
    expect(appNodeFlags('exports')).toEqual(['--max-semi-space-size=16', '--max-old-space-size=192']);
  });

  it('is empty for an app without the file', () => {
    expect(appNodeFlags('audit')).toEqual([]);
  });
});
