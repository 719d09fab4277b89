import type {
  CustomerErasedData,
  CustomerEvent,
  CustomerOwnerChangedData,
  CustomerRegisteredData,
  CustomerUpdatedData,
  EventEnvelope,
} from '@warden/contracts';
import { quoteSchema, type InlineProjection } from '@warden/event-store';
import type { EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import { maskSensitive } from '../customer-sensitive.util';
import type { SensitiveInput } from '../customer.dto';

/** Every event of a customer's stream: each one moves the row's `version` (the `ETag`). */
const CUSTOMER_EVENT_TYPES = [
  'CustomerRegistered',
  'CustomerUpdated',
  'CustomerArchived',
  'CustomerNoteAdded',
  'CustomerTransactionRecorded',
  'ConsentGranted',
  'ConsentWithdrawn',
  'CustomerOwnerChanged',
  'CustomerShared',
  'CustomerUnshared',
  'CustomerErased',
] as const satisfies ReadonlyArray<CustomerEvent['type']>;

/** The read model's ciphertext (and blind index) columns of each encrypted field it keeps. */
const SENSITIVE_COLUMNS = {
  mobile: ['mobile_ciphertext', 'mobile_index'],
  email: ['email_ciphertext', 'email_index'],
  nationalId: ['national_id_ciphertext', 'national_id_index'],
  address: ['address_ciphertext'],
} as const;

/** The read model's masked-form column of each sensitive field (see `writeCustomerMaskedForms`). */
export const MASKED_FORM_COLUMNS = {
  mobile: 'mobile_masked',
  email: 'email_masked',
  nationalId: 'national_id_masked',
  address: 'address_masked',
} as const satisfies Record<keyof SensitiveInput, string>;

/**
 * `customers`: one row per customer, kept in the transaction that appends its events. Sensitive
 * fields are stored as ciphertexts (and blind indexes for exact search), never in clear. Name and
 * company are kept in clear for lists and search (`q`), but since registration v3 the events carry
 * them encrypted only, which an inline projection cannot read: the service writes them (see
 * `writeCustomerNames`) in the transaction of the append, after the projection ran. An erased
 * customer keeps only what audit needs: id, status, version, timestamps, classification, owner,
 * team and shares; its name, company, tags, ciphertexts, blind indexes and masked forms are cleared.
 *
 * Masked forms (`<field>_masked`) cannot be computed here either (no plaintext): a changed
 * sensitive field's masked form is set to NULL with its new ciphertext, and the service writes the
 * new one (`writeCustomerMaskedForms`) in the same transaction; NULL makes readers decrypt.
 */
export function customerReadModelProjection(schema: string): InlineProjection {
  const s = quoteSchema(schema);
  return {
    name: 'customer-read-model',
    handles: CUSTOMER_EVENT_TYPES,
    async apply(events: readonly EventEnvelope[], manager) {
      for (let i = 0; i < events.length; i += 1) {
        const event = events[i];
        const type = event.type as CustomerEvent['type'];
        const touch = (customerId: string, set = '', params: unknown[] = []) =>
          manager.query(
            `UPDATE ${s}.customers SET ${set}version = $2, updated_at = $3 WHERE id = $1`,
            [customerId, event.streamVersion, event.occurredAt, ...params],
          );
        switch (type) {
          case 'CustomerRegistered': {
            // With the registrations that follow it (a bulk import's group, a rebuild): one statement.
            let end = i + 1;
            while (end < events.length && events[end].type === 'CustomerRegistered') end += 1;
            await insertRegistered(manager, s, events.slice(i, end));
            i = end - 1;
            break;
          }
          case 'CustomerUpdated':
            await applyUpdate(manager, s, event.data as CustomerUpdatedData, event);
            break;
          case 'CustomerArchived':
            await touch((event.data as { customerId: string }).customerId, `status = 'archived', `);
            break;
          case 'CustomerOwnerChanged': {
            // With the owner changes of other customers that follow it (a hand-over's batch): one
            // statement. A second change of the same customer starts the next run (an UPDATE takes
            // only one source row per target row).
            const seen = new Set([(event.data as CustomerOwnerChangedData).customerId]);
            let end = i + 1;
            while (
              end < events.length &&
              events[end].type === 'CustomerOwnerChanged' &&
              !seen.has((events[end].data as CustomerOwnerChangedData).customerId)
            ) {
              seen.add((events[end].data as CustomerOwnerChangedData).customerId);
              end += 1;
            }
            const run = events.slice(i, end);
            await manager.query(
              `UPDATE ${s}.customers AS c SET owner_id = r.owner_id, version = r.version, updated_at = r.at
               FROM unnest($1::uuid[], $2::text[], $3::int[], $4::timestamptz[]) AS r(id, owner_id, version, at)
               WHERE c.id = r.id`,
              [
                run.map((e) => (e.data as CustomerOwnerChangedData).customerId),
                run.map((e) => (e.data as CustomerOwnerChangedData).toOwnerId),
                run.map((e) => e.streamVersion),
                run.map((e) => e.occurredAt),
              ],
            );
            i = end - 1;
            break;
          }
          case 'CustomerShared': {
            const data = event.data as { customerId: string; userId: string };
            await touch(
              data.customerId,
              'shared_with = CASE WHEN $4 = ANY(shared_with) THEN shared_with ELSE array_append(shared_with, $4) END, ',
              [data.userId],
            );
            break;
          }
          case 'CustomerUnshared': {
            const data = event.data as { customerId: string; userId: string };
            await touch(data.customerId, 'shared_with = array_remove(shared_with, $4), ', [data.userId]);
            break;
          }
          case 'CustomerNoteAdded':
          case 'CustomerTransactionRecorded':
          case 'ConsentGranted':
          case 'ConsentWithdrawn':
            await touch((event.data as { customerId: string }).customerId);
            break;
          case 'CustomerErased': {
            const data = event.data as CustomerErasedData;
            await manager.query(
              `UPDATE ${s}.customers SET status = 'erased', name = NULL, company = NULL, tags = '{}',
                 mobile_ciphertext = NULL, mobile_index = NULL, email_ciphertext = NULL, email_index = NULL,
                 national_id_ciphertext = NULL, national_id_index = NULL, address_ciphertext = NULL,
                 mobile_masked = NULL, email_masked = NULL, national_id_masked = NULL, address_masked = NULL,
                 version = $2, updated_at = $3
               WHERE id = $1`,
              [data.customerId, event.streamVersion, event.occurredAt],
            );
            break;
          }
          default: {
            const unknown: never = type;
            throw new Error(`customer-read-model: unhandled event ${String(unknown)}`);
          }
        }
      }
    },
  };
}

/** Only the columns of the fields that changed; a cleared sensitive field clears its index too. */
async function applyUpdate(
  manager: EntityManager,
  s: string,
  data: CustomerUpdatedData,
  event: EventEnvelope,
): Promise<void> {
  const params: unknown[] = [data.customerId, event.streamVersion, event.occurredAt];
  const sets: string[] = [];
  const set = (column: string, value: unknown) => {
    params.push(value);
    sets.push(`${column} = $${params.length}`);
  };
  if (data.tags !== undefined) set('tags', data.tags);
  if (data.classification !== undefined) set('classification', data.classification);
  if (data.ownerId !== undefined) set('owner_id', data.ownerId);
  if (data.teamId !== undefined) set('team_id', data.teamId);
  for (const [field, columns] of Object.entries(SENSITIVE_COLUMNS)) {
    const value = data.sensitive?.[field as keyof typeof SENSITIVE_COLUMNS];
    if (value === undefined) continue;
    set(columns[0], value?.ciphertext ?? null);
    if (columns.length === 2) set(columns[1], value && 'index' in value ? value.index : null);
    // The old masked form no longer matches: unknown until the service writes the new one.
    sets.push(`${MASKED_FORM_COLUMNS[field as keyof typeof SENSITIVE_COLUMNS]} = NULL`);
  }
  // A cleared company: cleared here; a new name or company is written by the service in clear.
  if (data.sensitive?.company === null) sets.push('company = NULL');
  await manager.query(
    `UPDATE ${s}.customers SET ${[...sets, 'version = $2', 'updated_at = $3'].join(', ')} WHERE id = $1`,
    params,
  );
}

/** The rows of newly registered customers (`CustomerRegistered` events), with one statement. */
async function insertRegistered(manager: EntityManager, s: string, events: readonly EventEnvelope[]): Promise<void> {
  const rows = events.map((event) => ({ data: event.data as CustomerRegisteredData, event }));
  const sensitive = <F extends keyof typeof SENSITIVE_COLUMNS>(field: F, part: 'ciphertext' | 'index') =>
    rows.map(({ data }) => {
      const value = data.sensitive[field] as { ciphertext: string; index?: string } | undefined;
      return value?.[part] ?? null;
    });
  await manager.query(
    `INSERT INTO ${s}.customers (id, name, company, tags, classification, owner_id, team_id, status, version,
       created_at, updated_at, mobile_ciphertext, mobile_index, email_ciphertext, email_index,
       national_id_ciphertext, national_id_index, address_ciphertext)
     SELECT r.id, r.name, r.company, ARRAY(SELECT jsonb_array_elements_text(r.tags)), r.classification, r.owner_id,
       r.team_id, 'active', r.version, r.at, r.at, r.mobile_ciphertext, r.mobile_index, r.email_ciphertext,
       r.email_index, r.national_id_ciphertext, r.national_id_index, r.address_ciphertext
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::text[], $7::text[], $8::int[],
       $9::timestamptz[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
       AS r(id, name, company, tags, classification, owner_id, team_id, version, at, mobile_ciphertext, mobile_index,
         email_ciphertext, email_index, national_id_ciphertext, national_id_index, address_ciphertext)`,
    [
      rows.map(({ data }) => data.customerId),
      rows.map(({ data }) => data.name ?? null),
      rows.map(({ data }) => data.company ?? null),
      rows.map(({ data }) => JSON.stringify(data.tags)),
      rows.map(({ data }) => data.classification),
      rows.map(({ data }) => data.ownerId),
      rows.map(({ data }) => data.teamId),
      rows.map(({ event }) => event.streamVersion),
      rows.map(({ event }) => event.occurredAt),
      sensitive('mobile', 'ciphertext'),
      sensitive('mobile', 'index'),
      sensitive('email', 'ciphertext'),
      sensitive('email', 'index'),
      sensitive('nationalId', 'ciphertext'),
      sensitive('nationalId', 'index'),
      sensitive('address', 'ciphertext'),
    ],
  );
}

/**
 * Writes a customer's name and company in clear into the read model, in the transaction of the
 * append that set them (a v3 registration or an update), so that lists and `q` search read them.
 * `undefined` leaves a column as it is.
 */
export async function writeCustomerNames(
  manager: EntityManager,
  schema: string,
  customerId: string,
  names: { name?: string; company?: string | null },
): Promise<void> {
  const params: unknown[] = [customerId];
  const sets: string[] = [];
  for (const [column, value] of Object.entries(names)) {
    if (value === undefined) continue;
    params.push(value);
    sets.push(`${column === 'name' ? 'name' : 'company'} = $${params.length}`);
  }
  if (sets.length === 0) return;
  await manager.query(`UPDATE ${quoteSchema(schema)}.customers SET ${sets.join(', ')} WHERE id = $1`, params);
}

/**
 * Writes the masked forms (`maskSensitive`) of the sensitive fields a registration or an update
 * just set, from their plaintext, in the transaction of that append and after the projection ran
 * (which set them to NULL). `undefined` leaves a field's masked form as it is; `null` (a cleared
 * field) stores NULL. With them a read at the `masked` level needs no data key (see
 * `levelledCustomerViewSync`); erasure clears them with the row.
 */
export async function writeCustomerMaskedForms(
  manager: EntityManager,
  schema: string,
  customerId: string,
  values: Partial<Record<keyof SensitiveInput, string | null>>,
): Promise<void> {
  const params: unknown[] = [customerId];
  const sets: string[] = [];
  for (const field of Object.keys(MASKED_FORM_COLUMNS) as Array<keyof SensitiveInput>) {
    const value = values[field];
    if (value === undefined) continue;
    params.push(value === null ? null : maskSensitive[field](value));
    sets.push(`${MASKED_FORM_COLUMNS[field]} = $${params.length}`);
  }
  if (sets.length === 0) return;
  await manager.query(`UPDATE ${quoteSchema(schema)}.customers SET ${sets.join(', ')} WHERE id = $1`, params);
}

/**
 * What the service writes beside the projection for one customer: the name and company in clear,
 * and the plaintext of the sensitive fields just set, whose masked forms are stored. `undefined`
 * leaves a column as it is; `null` stores NULL.
 */
export type CustomerClearColumns = {
  customerId: string;
  names: { name?: string; company?: string | null };
  clear: Partial<Record<keyof SensitiveInput, string | null>>;
};

/**
 * `writeCustomerNames` and `writeCustomerMaskedForms` for many distinct customers, with one
 * statement (a rebuild's run of events of different customers).
 */
export async function writeCustomersClearColumns(manager: EntityManager, schema: string, customers: readonly CustomerClearColumns[]): Promise<void> {
  if (customers.length === 0) return;
  const fields = Object.keys(MASKED_FORM_COLUMNS) as Array<keyof SensitiveInput>;
  const columns: Array<{ column: string; value: (c: CustomerClearColumns) => string | null | undefined }> = [
    { column: 'name', value: (c) => c.names.name },
    { column: 'company', value: (c) => c.names.company },
    ...fields.map((field) => ({
      column: MASKED_FORM_COLUMNS[field],
      value: (c: CustomerClearColumns) => {
        const clear = c.clear[field];
        return clear === undefined || clear === null ? clear : maskSensitive[field](clear);
      },
    })),
  ];
  const params: unknown[] = [customers.map((c) => c.customerId)];
  const sets: string[] = [];
  const source: string[] = ['$1::uuid[]'];
  const names: string[] = ['id'];
  columns.forEach(({ column, value }, i) => {
    const values = customers.map(value);
    params.push(values.map((v) => v ?? null), values.map((v) => v !== undefined));
    source.push(`$${params.length - 1}::text[]`, `$${params.length}::boolean[]`);
    names.push(`v${i}`, `set${i}`);
    sets.push(`${column} = CASE WHEN r.set${i} THEN r.v${i} ELSE c.${column} END`);
  });
  await manager.query(
    `UPDATE ${quoteSchema(schema)}.customers AS c SET ${sets.join(', ')}
     FROM unnest(${source.join(', ')}) AS r(${names.join(', ')})
     WHERE c.id = r.id`,
    params,
  );
}

/**
 * `writeCustomersClearColumns` for customers the projection has just inserted (a bulk import's
 * group): every column written, an absent sensitive field's masked form NULL.
 */
export async function writeRegisteredClearColumns(
  manager: EntityManager,
  schema: string,
  customers: ReadonlyArray<{ customerId: string; names: { name: string; company: string | null }; clear: SensitiveInput }>,
): Promise<void> {
  const fields = Object.keys(MASKED_FORM_COLUMNS) as Array<keyof SensitiveInput>;
  await writeCustomersClearColumns(
    manager,
    schema,
    customers.map(({ customerId, names, clear }) => ({ customerId, names, clear: Object.fromEntries(fields.map((f) => [f, clear[f] ?? null])) })),
  );
}

export function customerReadModelMigrations(schema: string): Array<new () => MigrationInterface> {
  const s = quoteSchema(schema);
  class CustomerReadModel1764375000000 implements MigrationInterface {
    name = 'CustomerReadModel1764375000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        CREATE TABLE ${s}.customers (
          id uuid PRIMARY KEY,
          name text NOT NULL,
          company text,
          tags text[] NOT NULL DEFAULT '{}',
          classification text NOT NULL,
          owner_id text,
          team_id text,
          status text NOT NULL,
          version integer NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        )`);
      await queryRunner.query(`CREATE INDEX customers_owner ON ${s}.customers (owner_id)`);
      await queryRunner.query(`CREATE INDEX customers_team ON ${s}.customers (team_id)`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP TABLE ${s}.customers`);
    }
  }
  class CustomerSensitiveFields1764800000001 implements MigrationInterface {
    name = 'CustomerSensitiveFields1764800000001';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        ALTER TABLE ${s}.customers
          ADD COLUMN mobile_ciphertext text,
          ADD COLUMN mobile_index text,
          ADD COLUMN email_ciphertext text,
          ADD COLUMN email_index text,
          ADD COLUMN national_id_ciphertext text,
          ADD COLUMN national_id_index text,
          ADD COLUMN address_ciphertext text`);
      // Exact search pages by id within one index value.
      await queryRunner.query(`CREATE INDEX customers_mobile_index ON ${s}.customers (mobile_index, id)`);
      await queryRunner.query(`CREATE INDEX customers_email_index ON ${s}.customers (email_index, id)`);
      await queryRunner.query(`CREATE INDEX customers_national_id_index ON ${s}.customers (national_id_index, id)`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP INDEX ${s}.customers_mobile_index, ${s}.customers_email_index, ${s}.customers_national_id_index`);
      await queryRunner.query(`
        ALTER TABLE ${s}.customers
          DROP COLUMN mobile_ciphertext, DROP COLUMN mobile_index, DROP COLUMN email_ciphertext,
          DROP COLUMN email_index, DROP COLUMN national_id_ciphertext, DROP COLUMN national_id_index,
          DROP COLUMN address_ciphertext`);
    }
  }
  /**
   * `shared_with`: the users a customer is shared with, read by the policy's `sharedWithMe`
   * condition (the partner role) in the SQL filter. No event shares a customer yet, so every row
   * holds `{}` and a partner sees no customer: deny by default until sharing is built.
   */
  class CustomerSharedWith1764900000000 implements MigrationInterface {
    name = 'CustomerSharedWith1764900000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`ALTER TABLE ${s}.customers ADD COLUMN shared_with text[] NOT NULL DEFAULT '{}'`);
      await queryRunner.query(`CREATE INDEX customers_shared_with ON ${s}.customers USING gin (shared_with)`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`DROP INDEX ${s}.customers_shared_with`);
      await queryRunner.query(`ALTER TABLE ${s}.customers DROP COLUMN shared_with`);
    }
  }
  /**
   * Erasure clears an erased customer's name (see the projection). Down puts an empty name back
   * on erased rows (the erased name is gone for good) so that the column can be NOT NULL again.
   */
  class CustomerErasure1765000000000 implements MigrationInterface {
    name = 'CustomerErasure1765000000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`ALTER TABLE ${s}.customers ALTER COLUMN name DROP NOT NULL`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`UPDATE ${s}.customers SET name = '' WHERE name IS NULL`);
      await queryRunner.query(`ALTER TABLE ${s}.customers ALTER COLUMN name SET NOT NULL`);
    }
  }
  /**
   * The masked form of each sensitive field (`maskSensitive` of its plaintext), kept next to its
   * ciphertext so that a read at the `masked` level — list pages, the exports stream — needs no
   * data key and no decryption. They are written beside the projection from the plaintext
   * (`writeCustomerMaskedForms`: by the service as it encrypts a value, by the read-model rebuild
   * as it decrypts one); the projection sets a field's masked form to NULL when its
   * ciphertext changes and all of them when the customer is erased. NULL means "not known": the
   * reader then decrypts and masks, as before these columns existed (rows written before them, or
   * by a path that does not fill them). A masked form never holds the full value (see
   * `maskSensitive`); it is personal data all the same, and goes with the row on erasure.
   */
  class CustomerMaskedForms1766200000000 implements MigrationInterface {
    name = 'CustomerMaskedForms1766200000000';
    async up(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        ALTER TABLE ${s}.customers
          ADD COLUMN IF NOT EXISTS mobile_masked text,
          ADD COLUMN IF NOT EXISTS email_masked text,
          ADD COLUMN IF NOT EXISTS national_id_masked text,
          ADD COLUMN IF NOT EXISTS address_masked text`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`
        ALTER TABLE ${s}.customers
          DROP COLUMN IF EXISTS mobile_masked, DROP COLUMN IF EXISTS email_masked,
          DROP COLUMN IF EXISTS national_id_masked, DROP COLUMN IF EXISTS address_masked`);
    }
  }
  return [
    CustomerReadModel1764375000000,
    CustomerSensitiveFields1764800000001,
    CustomerSharedWith1764900000000,
    CustomerErasure1765000000000,
    CustomerMaskedForms1766200000000,
  ];
}
