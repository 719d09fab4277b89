import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { renderInConsole, type Routes } from '../test/render-console';
import { UserPicker, type PickedUser } from './user-picker';

const HR = { userId: 'a0000000-0000-7000-8000-000000000001', username: 'hana', roles: ['hr'] };
const STAFF = { userId: 'a0000000-0000-7000-8000-000000000002', username: 'sam', roles: ['staff'] };
const LEAVER_ID = 'b0000000-0000-7000-8000-00000000000a';

/** The picker as a form holds it: the chosen person, or none. */
function Picker({ idKind }: { idKind?: 'user' | 'team' }) {
  const [value, setValue] = useState<PickedUser | null>(null);
  return <UserPicker label="Leaving" value={value} onChange={setValue} idKind={idKind} />;
}

const directory: Routes = {
  'GET /api/authorization/v1/users?username=lee&limit=1': {
    status: 200,
    body: {
      items: [{ id: LEAVER_ID, username: 'lee', displayName: 'Lee Leaver', status: 'active' }],
      nextCursor: null,
    },
  },
  'GET /api/authorization/v1/users?username=nobody&limit=1': { status: 200, body: { items: [], nextCursor: null } },
};

describe('UserPicker', () => {
  it('finds a person by exact user name with the Enter key and shows who was picked', async () => {
    const user = userEvent.setup();
    renderInConsole(<Picker />, { person: HR, routes: directory });
    await user.type(screen.getByLabelText('Leaving'), 'lee{Enter}');
    expect((await screen.findByTestId('picked-Leaving')).textContent).toBe('Lee Leaver (lee, active)');
    await user.click(screen.getByRole('button', { name: 'Change Leaving' }));
    expect((screen.getByLabelText('Leaving') as HTMLInputElement).value).toBe('lee');
  });

  it('says when no one has that exact name', async () => {
    const user = userEvent.setup();
    renderInConsole(<Picker />, { person: HR, routes: directory });
    await user.type(screen.getByLabelText('Leaving'), 'nobody');
    await user.click(screen.getByRole('button', { name: 'Find Leaving' }));
    expect(await screen.findByText('No user is named “nobody” (the search is exact)')).toBeTruthy();
  });

  it('takes a user id as typed, without asking the directory', async () => {
    const user = userEvent.setup();
    const { calls } = renderInConsole(<Picker />, { person: STAFF, routes: {} });
    await user.type(screen.getByLabelText('Leaving'), `${LEAVER_ID.toUpperCase()}{Enter}`);
    expect((await screen.findByTestId('picked-Leaving')).textContent).toBe(`user ${LEAVER_ID}`);
    expect(calls).toEqual([]);
  });

  it('asks for the user id when the role may not search the directory by name', async () => {
    const user = userEvent.setup();
    renderInConsole(<Picker />, {
      person: STAFF,
      routes: {
        'GET /api/authorization/v1/users?username=lee&limit=1': {
          status: 403,
          body: { code: 'FORBIDDEN', message: 'forbidden' },
        },
      },
    });
    await user.type(screen.getByLabelText('Leaving'), 'lee{Enter}');
    expect(
      await screen.findByText('Your role may not search the directory by name: enter the person’s user id instead'),
    ).toBeTruthy();
  });

  it('says what to enter when nothing is typed, and takes only an id for a team', async () => {
    const user = userEvent.setup();
    renderInConsole(<Picker idKind="team" />, { person: HR, routes: {} });
    await user.click(screen.getByRole('button', { name: 'Find Leaving' }));
    expect(await screen.findByText('Enter the team id')).toBeTruthy();
    await user.type(screen.getByLabelText('Leaving'), 'north{Enter}');
    expect(await screen.findByText('Enter the team id (a UUID)')).toBeTruthy();
  });
});
