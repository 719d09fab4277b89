import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Role } from '../api/authorization.api';
import { renderInConsole } from '../test/render-console';
import { RolesScreen } from './roles.screen';

const ADMIN = { userId: 'a0000000-0000-7000-8000-000000000001', username: 'ada', roles: ['admin'] };

const staff: Role = {
  name: 'staff',
  description: 'Works their own customers',
  permissions: [
    {
      action: ['read', 'create', 'update'],
      subject: 'Customer',
      conditions: { owner: 'me' },
      fields: { mobile: 'clear', email: 'clear', nationalId: 'masked', address: 'masked' },
    },
  ],
  mfaRequired: false,
  builtIn: true,
  version: 3,
};
const hr: Role = {
  name: 'hr',
  description: 'Offboards users',
  permissions: [{ action: 'offboard', subject: 'User' }],
  mfaRequired: false,
  builtIn: true,
  version: 1,
};

describe('RolesScreen (the field permission matrix)', () => {
  it('shows each role’s level per sensitive field, and "no customer access" for a role that reads none', async () => {
    renderInConsole(<RolesScreen />, {
      person: ADMIN,
      routes: { 'GET /api/authorization/v1/roles': { status: 200, body: [staff, hr] } },
    });
    const matrix = await screen.findByRole('table', { name: 'Field permission matrix' });
    expect((within(matrix).getByLabelText('staff: Mobile') as HTMLSelectElement).value).toBe('clear');
    expect((within(matrix).getByLabelText('staff: National ID') as HTMLSelectElement).value).toBe('masked');
    const hrRow = within(matrix).getByRole('row', { name: /hr/ });
    expect(within(hrRow).getAllByText('no customer access')).toHaveLength(4);
    expect(within(hrRow).queryByRole('combobox')).toBeNull();
  });

  it('is reached by the Tab key and saves a changed level as the role’s permissions', async () => {
    const user = userEvent.setup();
    const { calls } = renderInConsole(<RolesScreen />, {
      person: ADMIN,
      routes: {
        'GET /api/authorization/v1/roles': { status: 200, body: [staff] },
        'PUT /api/authorization/v1/roles/staff': { status: 200, body: { ...staff, version: 4 } },
      },
    });
    const mobile = await screen.findByLabelText('staff: Mobile');
    await user.tab();
    expect(document.activeElement).toBe(mobile);
    await user.tab();
    await user.tab();
    const nationalId = screen.getByLabelText('staff: National ID');
    expect(document.activeElement).toBe(nationalId);
    await user.selectOptions(nationalId, 'clear');
    expect(await screen.findByText(/staff: National ID is now clear/)).toBeTruthy();
    const put = calls.find((call) => call.method === 'PUT');
    expect(put?.body).toEqual({
      description: staff.description,
      mfaRequired: false,
      permissions: [{ ...staff.permissions[0], fields: { ...staff.permissions[0].fields, nationalId: 'clear' } }],
    });
  });

  it('says why a change was refused', async () => {
    const user = userEvent.setup();
    renderInConsole(<RolesScreen />, {
      person: ADMIN,
      routes: {
        'GET /api/authorization/v1/roles': { status: 200, body: [staff] },
        'PUT /api/authorization/v1/roles/staff': {
          status: 409,
          body: { code: 'ROLE_VERSION_CONFLICT', message: 'the role changed meanwhile; reload it' },
        },
      },
    });
    await user.selectOptions(await screen.findByLabelText('staff: Address'), 'none');
    expect(await screen.findByText('the role changed meanwhile; reload it')).toBeTruthy();
    expect(screen.getByText('Could not change the role')).toBeTruthy();
  });
});
