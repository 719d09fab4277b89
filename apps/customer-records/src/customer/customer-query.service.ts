import { Injectable } from '@nestjs/common';
import {
  isCustomerSearch,
  customerFilterKeys,
  MAX_ACCESS_CUSTOMER_IDS,
  type AccessEvent,
  type CustomerFilter,
} from '@warden/contracts';
import { BlindIndexer, FieldCipher, type SubjectKeys } from '@warden/crypto';
import { EventStore, preparedQuery, quoteSchema, type CommandMetadata } from '@warden/event-store';
import { RequestValidationError } from '@warden/platform';
import { ForbiddenError, toSqlFilter, type FieldLevel, type Policy, type PolicySqlColumns } from '@warden/security';
import { DataSource } from 'typeorm';
import { AccessRecorder } from '../access/access-recorder.service';
import { searchIndex } from './customer-sensitive.util';
import {
  CUSTOMER_VIEW_FIELDS,
  displayedFieldLevels,
  isSensitiveField,
  levelledCustomerViewSync,
  shownFields,
  SENSITIVE_CUSTOMER_VIEW_FIELDS,
  unrevealable,
  type CustomerPolicyResource,
  type CustomerRecord,
  type CustomerViewField,
  type SensitiveMaskedForms,
  type SensitiveViewField,
} from './customer-view.util';
import type { SensitiveCiphertexts } from './customer-sensitive.util';
import {
  encodeCursor,
  SEARCH_FIELDS,
  type CustomerPage,
  type CustomerView,
  type GetCustomerQuery,
  type ListCustomersQuery,
} from './customer.dto';
import { CustomerError, CustomerErrorCode } from './customer.exception';

/** A row of the read model's `customers` table. */
export type CustomerRow = {
  id: string;
  /** Null once the customer is erased. */
  name: string | null;
  company: string | null;
  tags: string[];
  classification: string;
  owner_id: string | null;
  team_id: string | null;
  mobile_ciphertext: string | null;
  email_ciphertext: string | null;
  national_id_ciphertext: string | null;
  address_ciphertext: string | null;
  /** Masked forms (`maskSensitive` of the plaintext); null: not known (decrypt to mask). */
  mobile_masked?: string | null;
  email_masked?: string | null;
  national_id_masked?: string | null;
  address_masked?: string | null;
  shared_with: string[];
  status: string;
  version: number;
  created_at: Date;
  updated_at: Date;
};

/**
 * Every column of `CustomerRow`, named: a prepared statement selecting `*` would fail ("cached plan
 * must not change result type") once a migration adds a column while the service runs.
 */
const CUSTOMER_ROW_COLUMNS = [
  'id', 'name', 'company', 'tags', 'classification', 'owner_id', 'team_id', 'shared_with', 'status', 'version', 'created_at', 'updated_at',
  'mobile_ciphertext', 'email_ciphertext', 'national_id_ciphertext', 'address_ciphertext',
  'mobile_masked', 'email_masked', 'national_id_masked', 'address_masked',
].join(', ');

const INDEX_COLUMN = { mobile: 'mobile_index', email: 'email_index', nationalId: 'national_id_index' } as const;

/** The read model's columns for the attributes the policy's record conditions read. */
export const CUSTOMER_POLICY_COLUMNS: PolicySqlColumns = {
  ownerId: 'owner_id',
  teamId: 'team_id',
  classification: 'classification',
  sharedWith: 'shared_with',
};

export const customerResourceOf = (row: CustomerRow): CustomerPolicyResource => ({
  ownerId: row.owner_id,
  teamId: row.team_id,
  classification: row.classification,
  sharedWith: row.shared_with,
});

/** The levels of each row of one page, computed once per distinct owner/team/classification/shares. */
export type RowLevels = (row: CustomerRow) => Readonly<Record<CustomerViewField, FieldLevel>>;

/**
 * Memoises `levelsOf(resource)` by the row's policy attributes (the only inputs of a policy's
 * record conditions). Make one per page (or request): it holds at most one entry per row.
 */
export function rowLevelsMemo(levelsOf: (resource: CustomerPolicyResource) => Record<CustomerViewField, FieldLevel>): RowLevels {
  const memo = new Map<string, Record<CustomerViewField, FieldLevel>>();
  // Rows in id order mostly repeat the previous row's attributes: checked first, without a key.
  let last: CustomerRow | null = null;
  let lastLevels: Record<CustomerViewField, FieldLevel> | null = null;
  return (row) => {
    if (last && lastLevels && samePolicyAttributes(last, row)) return lastLevels;
    const key = JSON.stringify([row.owner_id, row.team_id, row.classification, row.shared_with]);
    let levels = memo.get(key);
    if (!levels) {
      levels = levelsOf(customerResourceOf(row));
      memo.set(key, levels);
    }
    last = row;
    lastLevels = levels;
    return levels;
  };
}

const samePolicyAttributes = (a: CustomerRow, b: CustomerRow): boolean =>
  a.owner_id === b.owner_id &&
  a.team_id === b.team_id &&
  a.classification === b.classification &&
  a.shared_with.length === b.shared_with.length &&
  a.shared_with.every((user, i) => user === b.shared_with[i]);

/**
 * The row's plain attributes as a view record. The timestamps are formatted only when `levels`
 * shows them (the view builder never reads a field at `none`; a stream rarely asks for them).
 */
const plainRecordOf = (row: CustomerRow, levels: Readonly<Record<CustomerViewField, FieldLevel>>): CustomerRecord => ({
  id: row.id,
  name: row.name as string,
  company: row.company,
  tags: row.tags,
  classification: row.classification,
  ownerId: row.owner_id,
  teamId: row.team_id,
  status: row.status,
  version: row.version,
  createdAt: levels.createdAt === 'none' ? '' : row.created_at.toISOString(),
  updatedAt: levels.updatedAt === 'none' ? '' : row.updated_at.toISOString(),
});

const ciphertextsOf = (row: CustomerRow): SensitiveCiphertexts => ({
  mobile: row.mobile_ciphertext,
  email: row.email_ciphertext,
  nationalId: row.national_id_ciphertext,
  address: row.address_ciphertext,
});

const maskedFormsOf = (row: CustomerRow): SensitiveMaskedForms => ({
  mobile: row.mobile_masked,
  email: row.email_masked,
  nationalId: row.national_id_masked,
  address: row.address_masked,
});

/**
 * Whether showing a stored sensitive field at `level` decrypts it: at `clear`, and at `masked`
 * unless the read model holds its masked form.
 */
const decrypts = (ciphertext: string | null, masked: string | null | undefined, level: FieldLevel | undefined): boolean =>
  !!ciphertext && (level === 'clear' || (level === 'masked' && (masked === null || masked === undefined)));

/** Whether the view of `row` at `levels` decrypts anything (and so needs the customer's data key). */
const needsKey = (row: CustomerRow, levels: Readonly<Record<CustomerViewField, FieldLevel>>): boolean =>
  decrypts(row.mobile_ciphertext, row.mobile_masked, levels.mobile) ||
  decrypts(row.email_ciphertext, row.email_masked, levels.email) ||
  decrypts(row.national_id_ciphertext, row.national_id_masked, levels.nationalId) ||
  decrypts(row.address_ciphertext, row.address_masked, levels.address);

/**
 * The columns a view of `fields` reads: what the policy and the erased check need, and each
 * field's own. For reads that ask for few fields (the exports stream): the rest is neither sent
 * by Postgres nor parsed. A sensitive field is read as its masked form and, only where that is
 * unknown (NULL), its ciphertext, unless it is in `clearFields` (shown in clear: ciphertext only).
 */
const ALWAYS_READ = ['id', 'version', 'status', 'name', 'owner_id', 'team_id', 'classification', 'shared_with'];
const PLAIN_COLUMN: Partial<Record<CustomerViewField, string>> = {
  company: 'company',
  tags: 'tags',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};
const SENSITIVE_COLUMNS: Record<SensitiveViewField, { ciphertext: string; masked: string }> = {
  mobile: { ciphertext: 'mobile_ciphertext', masked: 'mobile_masked' },
  email: { ciphertext: 'email_ciphertext', masked: 'email_masked' },
  nationalId: { ciphertext: 'national_id_ciphertext', masked: 'national_id_masked' },
  address: { ciphertext: 'address_ciphertext', masked: 'address_masked' },
};
export function customerColumnsFor(fields: Iterable<CustomerViewField>, clearFields: ReadonlySet<string> = new Set()): string {
  const columns = new Set(ALWAYS_READ);
  for (const field of fields) {
    const plain = PLAIN_COLUMN[field];
    if (plain) columns.add(plain);
    if (!isSensitiveField(field)) continue;
    const { ciphertext, masked } = SENSITIVE_COLUMNS[field];
    if (clearFields.has(field)) columns.add(ciphertext);
    else columns.add(masked).add(`CASE WHEN ${masked} IS NULL THEN ${ciphertext} END AS ${ciphertext}`);
  }
  return [...columns].join(', ');
}

/** `%`, `_` and `\` taken literally in a LIKE pattern (Postgres's default escape is `\`). */
const likeLiteral = (value: string): string => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The read side of customers: one customer, lists with filters, the rows of a filter for streams.
 * Every read is filtered by the caller's ability in SQL (`toSqlFilter`), never after loading; each
 * field is shown at the caller's level; every answered read is recorded as an access event first.
 */
@Injectable()
export class CustomerQueryService {
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    private readonly cipher: FieldCipher,
    private readonly indexer: BlindIndexer,
    private readonly access: AccessRecorder,
  ) {}

  /**
   * A customer in the caller's view (404 outside it, like a missing one; 410 once erased), each
   * field at its displayed level (`displayedFieldLevels`). `reveal` fields must be sensitive
   * fields (400) at the caller's `clear` level (403), and need a reason (the query schema checks
   * it). Records `CustomerViewed` and one `SensitiveFieldRevealed` per revealed field before answering.
   */
  async read(customerId: string, query: GetCustomerQuery, policy: Policy, metadata: CommandMetadata): Promise<CustomerView> {
    const reveal = new Set(query.reveal ?? []);
    const notSensitive = [...reveal].filter((field) => !isSensitiveField(field));
    if (notSensitive.length) {
      throw new RequestValidationError([
        `query.reveal: ${notSensitive.join(', ')} cannot be revealed (only ${SENSITIVE_CUSTOMER_VIEW_FIELDS.join(', ')})`,
      ]);
    }
    const row = await this.findVisibleRow(customerId, policy);
    if (!row) throw new CustomerError(CustomerErrorCode.NotFound, `customer ${customerId} not found`);
    this.assertNotErased(row);
    const resource = customerResourceOf(row);
    const refused = unrevealable(policy, resource, reveal);
    if (refused.length) {
      throw new ForbiddenError(
        `you may not reveal ${refused.join(', ')} of this customer: revealing a field needs the clear level for it`,
      );
    }
    const levels = displayedFieldLevels(policy, resource, reveal);
    // One customer likely read again soon: its key goes to the cipher's bounded cache.
    const view = await this.viewOf(row, levels, { remember: true });
    const readerId = metadata.actor.userId;
    const events: AccessEvent[] = [
      { type: 'CustomerViewed', data: { readerId, customerId, ...shownFields(view, levels) } },
      ...[...reveal].map(
        (field): AccessEvent => ({
          type: 'SensitiveFieldRevealed',
          data: { readerId, customerId, field, reason: query.reason as string },
        }),
      ),
    ];
    await this.access.record(readerId, events, metadata);
    return view;
  }

  /**
   * A page of the customers the filter selects within the caller's view, by id, with
   * `nextCursor`. Records `CustomersSearched` (a filter other than `status` was used) or
   * `CustomersListed`, with the filter's keys (never values), the count and the ids.
   */
  async list(query: ListCustomersQuery, policy: Policy, metadata: CommandMetadata): Promise<CustomerPage> {
    const rows = await this.page(query.filter, policy, query.cursor ?? null, query.limit + 1);
    const pageRows = rows.slice(0, query.limit);
    const clear = new Set<string>();
    const items: CustomerView[] = [];
    const levelsOf = rowLevelsMemo((resource) => displayedFieldLevels(policy, resource));
    const keys = await this.keysForPage(pageRows, levelsOf);
    try {
      for (const row of pageRows) {
        const levels = levelsOf(row);
        const view = this.viewWith(row, levels, keys);
        for (const field of shownFields(view, levels).fieldsInClear) clear.add(field);
        items.push(view);
      }
    } finally {
      keys.release();
    }
    const readerId = metadata.actor.userId;
    const data = {
      readerId,
      filterKeys: customerFilterKeys(query.filter),
      resultCount: items.length,
      customerIds: items.slice(0, MAX_ACCESS_CUSTOMER_IDS).map((item) => item.id as string),
      fieldsInClear: CUSTOMER_VIEW_FIELDS.filter((field) => clear.has(field)),
    };
    await this.access.record(
      readerId,
      isCustomerSearch(query.filter) ? { type: 'CustomersSearched', data } : { type: 'CustomersListed', data },
      metadata,
    );
    const more = rows.length > query.limit;
    return { items, nextCursor: more ? encodeCursor(pageRows[pageRows.length - 1].id) : null };
  }

  /**
   * Up to `limit` rows the filter selects within the policy's view, after `afterId`, by id; every
   * column, or only `columns` (from `customerColumnsFor`: the rows then hold only what a view of
   * those fields reads).
   */
  async page(filter: CustomerFilter, policy: Policy, afterId: string | null, limit: number, columns = '*'): Promise<CustomerRow[]> {
    const params: unknown[] = [];
    const where = this.filterSql(filter, policy, params);
    params.push(afterId, limit);
    const n = params.length;
    return this.dataSource.query(
      `SELECT ${columns} FROM ${this.quotedSchema}.customers
       WHERE ${where} AND ($${n - 1}::uuid IS NULL OR id > $${n - 1}::uuid)
       ORDER BY id LIMIT $${n}`,
      params,
    );
  }

  /** How many customers the filter selects within the policy's view. */
  async count(filter: CustomerFilter, policy: Policy): Promise<number> {
    const params: unknown[] = [];
    const where = this.filterSql(filter, policy, params);
    const [row]: Array<{ n: string }> = await this.dataSource.query(
      `SELECT count(*) AS n FROM ${this.quotedSchema}.customers WHERE ${where}`,
      params,
    );
    return Number(row.n);
  }

  /**
   * The customer with each field at `levels` (sensitive ones decrypted only when shown). Its key
   * is loaded for this call only, unless `remember` puts it in the cipher's bounded cache.
   */
  async viewOf(
    row: CustomerRow,
    levels: Readonly<Record<CustomerViewField, FieldLevel>>,
    { remember = false }: { remember?: boolean } = {},
  ): Promise<CustomerView> {
    this.assertNotErased(row);
    const keys = needsKey(row, levels) ? await this.cipher.keysFor([row.id], { remember }) : null;
    try {
      return this.viewWith(row, levels, keys);
    } finally {
      keys?.release();
    }
  }

  /**
   * The data keys a page of rows needs at their levels (only rows that show a stored sensitive
   * field), loaded with one query and unwrapped once each; `release()` them after the page.
   * Nothing is kept beyond the page.
   */
  keysForPage(rows: readonly CustomerRow[], levelsOf: RowLevels): Promise<SubjectKeys> {
    return this.cipher.keysFor(rows.filter((row) => needsKey(row, levelsOf(row))).map((row) => row.id));
  }

  /**
   * `viewOf` with the page's keys already loaded (synchronous). Masked fields whose masked form
   * the read model holds are shown from it, without their key.
   */
  viewWith(row: CustomerRow, levels: Readonly<Record<CustomerViewField, FieldLevel>>, keys: SubjectKeys | null): CustomerView {
    this.assertNotErased(row);
    return levelledCustomerViewSync(
      plainRecordOf(row, levels),
      ciphertextsOf(row),
      levels,
      (field, token) => {
        if (!keys) throw new Error(`no data key loaded for customer ${row.id}`);
        return keys.decrypt(row.id, field, token);
      },
      maskedFormsOf(row),
    );
  }

  private assertNotErased(row: CustomerRow): void {
    if (row.status === 'erased' || row.name === null) {
      throw new CustomerError(CustomerErrorCode.Erased, `customer ${row.id} has been erased`);
    }
  }

  /** The row only when the policy's SQL filter selects it (erased rows too: they answer 410). */
  /**
   * The row by id within the caller's view. Prepared: planning this statement over a table with
   * many indexes cost about as much as running it (0.3–0.4 ms a read); the texts are few (one per
   * shape of policy filter, whose values are parameters) and the plan is by primary key whatever
   * the values.
   */
  private async findVisibleRow(customerId: string, policy: Policy): Promise<CustomerRow | null> {
    const visible = toSqlFilter(policy, 'read', 'Customer', { columns: CUSTOMER_POLICY_COLUMNS, paramOffset: 1 });
    const rows = await preparedQuery<CustomerRow>(
      this.dataSource,
      this.dataSource.manager,
      `SELECT ${CUSTOMER_ROW_COLUMNS} FROM ${this.quotedSchema}.customers WHERE id = $1 AND (${visible.sql})`,
      [customerId, ...visible.params],
    );
    return rows[0] ?? null;
  }

  /**
   * The filter and the caller's view as one parameterised SQL condition (values only ever as
   * parameters, appended to `params`). Erased customers are never selected.
   */
  private filterSql(filter: CustomerFilter, policy: Policy, params: unknown[]): string {
    const bind = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const parts = [`status = ${bind(filter.status ?? 'active')}`, 'name IS NOT NULL'];
    if (filter.q !== undefined) {
      const pattern = bind(`%${likeLiteral(filter.q)}%`);
      parts.push(`(name ILIKE ${pattern} OR company ILIKE ${pattern})`);
    }
    if (filter.tags !== undefined) parts.push(`tags @> ${bind(filter.tags)}::text[]`);
    if (filter.ownerId !== undefined) parts.push(`owner_id = ${bind(filter.ownerId)}`);
    if (filter.teamId !== undefined) parts.push(`team_id = ${bind(filter.teamId)}`);
    if (filter.classification !== undefined) parts.push(`classification = ${bind(filter.classification)}`);
    for (const field of SEARCH_FIELDS) {
      const value = filter[field];
      if (value !== undefined) parts.push(`${INDEX_COLUMN[field]} = ${bind(searchIndex(this.indexer, field, value))}`);
    }
    const visible = toSqlFilter(policy, 'read', 'Customer', { columns: CUSTOMER_POLICY_COLUMNS, paramOffset: params.length });
    params.push(...visible.params);
    parts.push(`(${visible.sql})`);
    return parts.join(' AND ');
  }

  private get quotedSchema(): string {
    return quoteSchema(this.store.schema);
  }
}
