import { teamScope, type TeamNode } from './team-scope.util';

//   root (supervised by u-head)
//   ├── a (supervised by u-sup)
//   │   └── a1
//   │       └── a1x
//   └── b
const teams: TeamNode[] = [
  { id: 'root', parentId: null, supervisorId: 'u-head' },
  { id: 'a', parentId: 'root', supervisorId: 'u-sup' },
  { id: 'a1', parentId: 'a', supervisorId: null },
  { id: 'a1x', parentId: 'a1', supervisorId: null },
  { id: 'b', parentId: 'root', supervisorId: null },
];

describe('teamScope', () => {
  it('is only their own team for a user who supervises nothing', () => {
    expect(teamScope({ userId: 'u-staff', teamId: 'a1', roles: ['staff'] }, teams)).toEqual(['a1']);
  });

  it('covers a supervised team and every sub-team, at any depth', () => {
    expect(teamScope({ userId: 'u-sup', teamId: null, roles: ['staff'] }, teams).sort()).toEqual(['a', 'a1', 'a1x']);
  });

  it('covers the own team and its sub-teams for a holder of the supervisor role', () => {
    expect(teamScope({ userId: 'u-x', teamId: 'a1', roles: ['supervisor'] }, teams).sort()).toEqual(['a1', 'a1x']);
  });

  it('covers the whole tree for the supervisor of the root', () => {
    expect(teamScope({ userId: 'u-head', teamId: 'root', roles: [] }, teams).sort()).toEqual(['a', 'a1', 'a1x', 'b', 'root']);
  });

  it('does not loop on a cycle', () => {
    const cyclic: TeamNode[] = [
      { id: 'x', parentId: 'y', supervisorId: 'u' },
      { id: 'y', parentId: 'x', supervisorId: null },
    ];
    expect(teamScope({ userId: 'u', teamId: null, roles: [] }, cyclic).sort()).toEqual(['x', 'y']);
  });
});
