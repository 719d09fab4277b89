import type { PermissionData, RoleEvent } from '@warden/contracts';
import { DEFAULT_ROLES_BY_NAME } from '@warden/security';
import type { RoleCommand, RoleDefinitionData } from './role.commands';
import { decide, evolve, initialRoleState, type RoleState } from './role.decider';
import { RoleError, RoleErrorCode } from './role.exception';

/** `given(past events).when(command).then(new events)` or `.thenThrows(code, status)`. */
function given(past: readonly RoleEvent[]) {
  const state = past.reduce<RoleState>(evolve, initialRoleState);
  return {
    when(command: RoleCommand) {
      const run = () => decide(command, state);
      return {
        then: (expected: readonly RoleEvent[]) => expect(run()).toEqual(expected),
        thenThrows: (code: RoleErrorCode, status: number) => {
          expect(run).toThrow(RoleError);
          expect(run).toThrow(expect.objectContaining({ code, status }));
        },
      };
    },
  };
}

const reviewer: RoleDefinitionData = {
  name: 'branch_reviewer',
  description: 'Reads the customers of their teams, masked.',
  permissions: [{ action: 'read', subject: 'Customer', conditions: { team: 'mine' }, fields: { mobile: 'masked' } }],
  mfaRequired: false,
};
const defined: RoleEvent = { type: 'RoleDefined', data: { ...reviewer, builtIn: false } };

describe('Role', () => {
  describe('DefineRole', () => {
    it('records RoleDefined for a new role', () => {
      given([]).when({ type: 'DefineRole', data: { ...reviewer, builtIn: false } }).then([defined]);
    });

    it('records a default role as built in', () => {
      const auditor = DEFAULT_ROLES_BY_NAME.auditor;
      given([])
        .when({ type: 'DefineRole', data: { ...auditor, builtIn: true } })
        .then([{ type: 'RoleDefined', data: { ...auditor, builtIn: true } }]);
    });

    it('refuses a second definition with ROLE_ALREADY_EXISTS (409), which makes seeding idempotent', () => {
      given([defined]).when({ type: 'DefineRole', data: { ...reviewer, builtIn: true } }).thenThrows(RoleErrorCode.AlreadyExists, 409);
    });
  });

  describe('UpdateRole', () => {
    it('records the whole new definition', () => {
      const permissions: PermissionData[] = [{ action: ['read', 'export'], subject: 'Customer', conditions: { team: 'mine' } }];
      given([defined])
        .when({ type: 'UpdateRole', data: { ...reviewer, permissions, mfaRequired: true } })
        .then([{ type: 'RoleUpdated', data: { ...reviewer, permissions, mfaRequired: true } }]);
    });

    it('records nothing when the definition is unchanged', () => {
      given([defined]).when({ type: 'UpdateRole', data: reviewer }).then([]);
    });

    it('refuses an unknown role with ROLE_NOT_FOUND (404)', () => {
      given([]).when({ type: 'UpdateRole', data: reviewer }).thenThrows(RoleErrorCode.NotFound, 404);
    });
  });

  describe('evolve', () => {
    it('keeps builtIn across updates', () => {
      const state = [{ ...defined, data: { ...reviewer, builtIn: true } } as RoleEvent, { type: 'RoleUpdated', data: { ...reviewer, description: 'x' } } as RoleEvent].reduce<RoleState>(
        evolve,
        initialRoleState,
      );
      expect(state).toMatchObject({ status: 'defined', builtIn: true, description: 'x' });
    });
  });
});
