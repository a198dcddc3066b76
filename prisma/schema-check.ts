/**
 * Does a PostgreSQL schema match prisma/schema.prisma? `prisma migrate diff` would answer this,
 * but it needs the native schema engine, which is not available here. So:
 *
 * - `expectedSchema(prismaSchema)` turns the Prisma schema (parsed by Prisma's own Wasm parser)
 *   into the tables, columns, keys and indexes `prisma migrate` would create, using Prisma's
 *   PostgreSQL type mapping and its default constraint names;
 * - `readDatabaseSchema(db)` reads the same facts from the PostgreSQL catalog;
 * - `compareSchema(expected, actual)` is pure and returns one precise line per difference,
 *   e.g. "payouts.amount: schema says numeric(78,0), database has numeric(40,0)". Empty means they agree.
 *
 * Types are compared as PostgreSQL's format_type() prints them. Things Prisma itself does not
 * model (CHECK constraints, comments, grants) are not compared. List columns are not checked for
 * nullability: Prisma creates them nullable and does not treat NOT NULL on them as drift.
 */
import { get_dmmf } from '@prisma/prisma-schema-wasm';

// ---------------------------------------------------------------------------------------------
// Shapes

export interface DbColumn {
  name: string;
  /** format_type() output, e.g. "numeric(78,0)", "timestamp(3) with time zone", "text[]". */
  type: string;
  nullable: boolean;
  /** pg_get_expr() of the default, "identity" for identity columns, null when there is none. */
  default: string | null;
}

export interface DbIndex {
  name: string;
  /** Key columns in order; null for an expression. */
  columns: (string | null)[];
  unique: boolean;
  primary: boolean;
  /** Access method: btree, hash, gin, ... */
  method: string;
  partial: boolean;
  descending: boolean[];
}

export type ReferentialAction = 'NoAction' | 'Restrict' | 'Cascade' | 'SetNull' | 'SetDefault';

export interface DbForeignKey {
  name: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: ReferentialAction;
  onUpdate: ReferentialAction;
}

export interface DbTable {
  name: string;
  columns: DbColumn[];
  indexes: DbIndex[];
  foreignKeys: DbForeignKey[];
}

export interface DbSchema {
  tables: DbTable[];
}

export type ExpectedDefault =
  | { kind: 'none' }
  | { kind: 'autoincrement' }
  | { kind: 'now' }
  /** dbgenerated(...): some default must exist; its text is not compared. */
  | { kind: 'any'; describe: string }
  | { kind: 'value'; value: string };

export interface ExpectedColumn {
  /** "Model.field", for messages. */
  field: string;
  name: string;
  type: string;
  /** null: not compared (list columns). */
  nullable: boolean | null;
  default: ExpectedDefault;
}

export interface ExpectedIndex {
  name: string;
  columns: string[];
  unique: boolean;
  /** Prisma's algorithm name lower-cased (btree unless the schema says otherwise). */
  method: string;
  descending: boolean[];
}

export interface ExpectedForeignKey {
  field: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: ReferentialAction;
  onUpdate: ReferentialAction;
}

export interface ExpectedTable {
  model: string;
  name: string;
  columns: ExpectedColumn[];
  primaryKey: { name: string; columns: string[] } | null;
  indexes: ExpectedIndex[];
  foreignKeys: ExpectedForeignKey[];
}

export interface ExpectedSchema {
  tables: ExpectedTable[];
}

// ---------------------------------------------------------------------------------------------
// Prisma schema -> expected database

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  isList: boolean;
  isRequired: boolean;
  hasDefaultValue: boolean;
  type: string;
  nativeType?: [string, string[]] | null;
  default?: unknown;
  isUpdatedAt?: boolean;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}

interface DmmfModel {
  name: string;
  dbName: string | null;
  schema?: string | null;
  fields: DmmfField[];
}

interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  algorithm?: string;
  fields: { name: string; sortOrder?: 'asc' | 'desc' }[];
}

interface DmmfEnum {
  name: string;
  dbName?: string | null;
}

interface Dmmf {
  datamodel: { models: DmmfModel[]; enums: DmmfEnum[]; indexes?: DmmfIndex[] };
}

/** Parses the schema with Prisma's Wasm parser; throws the parser's message (without colors) if it is invalid. */
export function parseDmmf(prismaSchema: string): Dmmf {
  try {
    return JSON.parse(get_dmmf(JSON.stringify({ prismaSchema }))) as Dmmf;
  } catch (err) {
    const raw = err instanceof Error ? err.message : String(err);
    let message = raw;
    try {
      message = (JSON.parse(raw) as { message?: string }).message ?? raw;
    } catch {
      // not JSON: keep as is
    }
    // eslint-disable-next-line no-control-regex, preserve-caught-error
    throw new Error(`schema.prisma does not parse: ${message.replace(/\u001b\[[0-9;]*m/g, '')}`);
  }
}

/** PostgreSQL's identifier limit; Prisma truncates default constraint names to it. */
const MAX_IDENTIFIER_BYTES = 63;

function truncateBytes(text: string, maxBytes: number): string {
  let out = text;
  while (Buffer.byteLength(out, 'utf8') > maxBytes) out = out.slice(0, -1);
  return out;
}

/** Prisma's default names: {table}_pkey, {table}_{columns}_key, {table}_{columns}_idx. */
export function defaultConstraintName(table: string, columns: string[], suffix: '_pkey' | '_key' | '_idx' | '_fkey'): string {
  const limit = MAX_IDENTIFIER_BYTES - Buffer.byteLength(suffix, 'utf8');
  let base = suffix === '_pkey' ? table : `${table}_${columns.join('_')}`;
  if (Buffer.byteLength(base, 'utf8') >= limit) base = truncateBytes(base, limit);
  return base + suffix;
}

const precision = (args: string[]): string => (args.length > 0 ? `(${args[0]})` : '');

/** Prisma native type (@db.X(args)) -> format_type() text. */
const NATIVE_TYPES: Record<string, (args: string[]) => string> = {
  Text: () => 'text',
  VarChar: (a) => `character varying${precision(a)}`,
  Char: (a) => `character(${a[0] ?? '1'})`,
  Bit: (a) => `bit(${a[0] ?? '1'})`,
  VarBit: (a) => `bit varying${precision(a)}`,
  Uuid: () => 'uuid',
  Xml: () => 'xml',
  Inet: () => 'inet',
  Citext: () => 'citext',
  Boolean: () => 'boolean',
  SmallInt: () => 'smallint',
  Integer: () => 'integer',
  BigInt: () => 'bigint',
  Oid: () => 'oid',
  Decimal: (a) => (a.length > 0 ? `numeric(${a[0]},${a[1] ?? '0'})` : 'numeric'),
  Money: () => 'money',
  Real: () => 'real',
  DoublePrecision: () => 'double precision',
  Timestamp: (a) => `timestamp${precision(a)} without time zone`,
  Timestamptz: (a) => `timestamp${precision(a)} with time zone`,
  Date: () => 'date',
  Time: (a) => `time${precision(a)} without time zone`,
  Timetz: (a) => `time${precision(a)} with time zone`,
  Json: () => 'json',
  JsonB: () => 'jsonb',
  ByteA: () => 'bytea',
};

/** Prisma scalar type without @db -> the PostgreSQL type `prisma migrate` creates. */
const SCALAR_TYPES: Record<string, string> = {
  String: 'text',
  Boolean: 'boolean',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  DateTime: 'timestamp(3) without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};

function expectedColumnType(model: DmmfModel, field: DmmfField, enums: DmmfEnum[]): string {
  let base: string;
  if (field.kind === 'enum') {
    const enumDef = enums.find((e) => e.name === field.type);
    base = enumDef?.dbName ?? field.type;
  } else if (field.nativeType) {
    const [nativeName, args] = field.nativeType;
    const render = NATIVE_TYPES[nativeName];
    if (!render)
      throw new Error(`${model.name}.${field.name}: native type @db.${nativeName} is not known to prisma/schema-check.ts; add it there`);
    base = render(args);
  } else {
    const mapped = SCALAR_TYPES[field.type];
    if (!mapped) throw new Error(`${model.name}.${field.name}: type ${field.type} is not known to prisma/schema-check.ts; add it there`);
    base = mapped;
  }
  return field.isList ? `${base}[]` : base;
}

function expectedDefault(field: DmmfField): ExpectedDefault {
  if (!field.hasDefaultValue || field.default === undefined) return { kind: 'none' };
  const value = field.default;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const fn = value as { name: string; args: unknown[] };
    switch (fn.name) {
      case 'autoincrement':
      case 'sequence':
        return { kind: 'autoincrement' };
      case 'now':
        return { kind: 'now' };
      case 'dbgenerated':
        return { kind: 'any', describe: `dbgenerated(${JSON.stringify(fn.args[0] ?? '')})` };
      default:
        // uuid(), cuid(), nanoid(), ulid(): Prisma Client fills these in; the column has no default.
        return { kind: 'none' };
    }
  }
  if (Array.isArray(value)) return value.length === 0 ? { kind: 'value', value: '{}' } : { kind: 'any', describe: JSON.stringify(value) };
  return { kind: 'value', value: String(value) };
}

/** What `prisma migrate` would create for this schema (tables of every model, in schema order). */
export function expectedSchema(prismaSchema: string): ExpectedSchema {
  const { datamodel } = parseDmmf(prismaSchema);
  if (!datamodel.indexes)
    throw new Error('this @prisma/prisma-schema-wasm has no datamodel.indexes in its DMMF; prisma/schema-check.ts needs it');
  const models = datamodel.models;
  const tableOf = (model: DmmfModel): string => model.dbName ?? model.name;

  return {
    tables: models.map((model): ExpectedTable => {
      if (model.schema) throw new Error(`${model.name}: @@schema (multi-schema) is not supported by prisma/schema-check.ts`);
      const table = tableOf(model);
      const columnOf = (fieldName: string): string => {
        const field = model.fields.find((f) => f.name === fieldName);
        if (!field) throw new Error(`${model.name}: index refers to unknown field ${fieldName}`);
        return field.dbName ?? field.name;
      };
      const scalarFields = model.fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum');
      const columns = scalarFields.map((field): ExpectedColumn => ({
        field: `${model.name}.${field.name}`,
        name: field.dbName ?? field.name,
        type: expectedColumnType(model, field, datamodel.enums),
        nullable: field.isList ? null : !field.isRequired,
        default: expectedDefault(field),
      }));

      const modelIndexes = datamodel.indexes!.filter((index) => index.model === model.name);
      const id = modelIndexes.find((index) => index.type === 'id');
      const primaryKey = id
        ? { name: id.dbName ?? defaultConstraintName(table, [], '_pkey'), columns: id.fields.map((f) => columnOf(f.name)) }
        : null;
      const indexes = modelIndexes
        .filter((index) => index.type === 'unique' || index.type === 'normal')
        .map((index): ExpectedIndex => {
          const indexColumns = index.fields.map((f) => columnOf(f.name));
          const unique = index.type === 'unique';
          return {
            name: index.dbName ?? defaultConstraintName(table, indexColumns, unique ? '_key' : '_idx'),
            columns: indexColumns,
            unique,
            method: (index.algorithm ?? 'BTree').toLowerCase(),
            descending: index.fields.map((f) => f.sortOrder === 'desc'),
          };
        });

      const foreignKeys = model.fields
        .filter((field) => field.kind === 'object' && (field.relationFromFields?.length ?? 0) > 0)
        .map((field): ExpectedForeignKey => {
          const target = models.find((m) => m.name === field.type);
          if (!target) throw new Error(`${model.name}.${field.name}: relation to unknown model ${field.type}`);
          const fromFields = field.relationFromFields ?? [];
          const allRequired = fromFields.every((name) => model.fields.find((f) => f.name === name)?.isRequired);
          return {
            field: `${model.name}.${field.name}`,
            columns: fromFields.map(columnOf),
            referencedTable: tableOf(target),
            referencedColumns: (field.relationToFields ?? []).map((name) => {
              const targetField = target.fields.find((f) => f.name === name);
              return targetField?.dbName ?? name;
            }),
            // Prisma's defaults: Restrict for a required relation, SetNull for an optional one; Cascade on update.
            onDelete: (field.relationOnDelete as ReferentialAction | undefined) ?? (allRequired ? 'Restrict' : 'SetNull'),
            onUpdate: (field.relationOnUpdate as ReferentialAction | undefined) ?? 'Cascade',
          };
        });

      return { model: model.name, name: table, columns, primaryKey, indexes, foreignKeys };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Comparison (pure)

export interface CompareOptions {
  /** Tables that may exist without a model; default: Prisma's `_prisma_migrations`. */
  allowedExtraTables?: string[];
}

const list = (columns: readonly (string | null)[]): string => `(${columns.map((c) => c ?? '<expression>').join(', ')})`;
const sameList = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Strips casts, parentheses and quotes: "'abc'::text" -> "abc", "ARRAY[]::text[]" -> "{}", "(0)" -> "0". */
export function normalizeDefault(expression: string): string {
  let out = expression.trim();
  for (;;) {
    const before = out;
    out = out.replace(/::("[^"]+"|[a-z_][a-z0-9_ .]*)(\([0-9, ]+\))?(\[\])*$/i, '').trim();
    if (out.startsWith('(') && out.endsWith(')')) out = out.slice(1, -1).trim();
    if (out === before) break;
  }
  if (/^ARRAY\[\s*\]$/i.test(out)) return '{}';
  const quoted = /^'((?:[^']|'')*)'$/.exec(out);
  if (quoted) return (quoted[1] ?? '').replace(/''/g, "'");
  return out;
}

function describeDefault(expected: ExpectedDefault): string {
  switch (expected.kind) {
    case 'none':
      return 'no default';
    case 'autoincrement':
      return 'default autoincrement()';
    case 'now':
      return 'default now()';
    case 'any':
      return `default ${expected.describe}`;
    case 'value':
      return `default ${expected.value}`;
  }
}

function defaultMatches(expected: ExpectedDefault, actual: string | null): boolean {
  switch (expected.kind) {
    case 'none':
      return actual === null;
    case 'autoincrement':
      return actual === 'identity' || (actual !== null && /^nextval\(/i.test(actual));
    case 'now':
      return (
        actual !== null && /^(CURRENT_TIMESTAMP|now\(\)|statement_timestamp\(\)|transaction_timestamp\(\))$/i.test(normalizeDefault(actual))
      );
    case 'any':
      return actual !== null;
    case 'value': {
      if (actual === null) return false;
      const got = normalizeDefault(actual);
      if (got === expected.value) return true;
      const [a, b] = [Number(got), Number(expected.value)];
      return got !== '' && expected.value !== '' && Number.isFinite(a) && Number.isFinite(b) && a === b;
    }
  }
}

const REFERENTIAL: Record<ReferentialAction, string> = {
  NoAction: 'NO ACTION',
  Restrict: 'RESTRICT',
  Cascade: 'CASCADE',
  SetNull: 'SET NULL',
  SetDefault: 'SET DEFAULT',
};

/** Every difference between what schema.prisma describes and what the database has; [] if none. */
export function compareSchema(expected: ExpectedSchema, actual: DbSchema, options: CompareOptions = {}): string[] {
  const problems: string[] = [];
  const allowedExtra = new Set(options.allowedExtraTables ?? ['_prisma_migrations']);
  const actualByName = new Map(actual.tables.map((table) => [table.name, table]));

  for (const want of expected.tables) {
    const have = actualByName.get(want.name);
    if (!have) {
      problems.push(`${want.name}: table is missing (model ${want.model})`);
      continue;
    }
    compareTable(want, have, problems);
  }

  const expectedNames = new Set(expected.tables.map((table) => table.name));
  for (const table of actual.tables) {
    if (!expectedNames.has(table.name) && !allowedExtra.has(table.name)) {
      problems.push(`${table.name}: table is in the database but no model in schema.prisma maps to it`);
    }
  }
  return problems;
}

function compareTable(want: ExpectedTable, have: DbTable, problems: string[]): void {
  const t = want.name;
  const haveColumns = new Map(have.columns.map((column) => [column.name, column]));
  for (const column of want.columns) {
    const got = haveColumns.get(column.name);
    if (!got) {
      problems.push(`${t}.${column.name}: column is missing (field ${column.field})`);
      continue;
    }
    if (got.type !== column.type) problems.push(`${t}.${column.name}: schema says ${column.type}, database has ${got.type}`);
    if (column.nullable !== null && got.nullable !== column.nullable) {
      problems.push(
        `${t}.${column.name}: schema says ${column.nullable ? 'nullable' : 'NOT NULL'}, database has ${got.nullable ? 'nullable' : 'NOT NULL'}`,
      );
    }
    if (!defaultMatches(column.default, got.default)) {
      problems.push(
        `${t}.${column.name}: schema says ${describeDefault(column.default)}, database has ${got.default === null ? 'no default' : `default ${got.default}`}`,
      );
    }
  }
  const wantColumns = new Set(want.columns.map((column) => column.name));
  for (const column of have.columns) {
    if (!wantColumns.has(column.name)) problems.push(`${t}.${column.name}: column is in the database but not in model ${want.model}`);
  }

  // Primary key
  const pk = have.indexes.find((index) => index.primary);
  if (want.primaryKey && !pk) {
    problems.push(`${t}: schema says primary key ${list(want.primaryKey.columns)}, database has none`);
  } else if (!want.primaryKey && pk) {
    problems.push(`${t}: database has primary key ${list(pk.columns)}, schema has none`);
  } else if (want.primaryKey && pk) {
    if (!sameList(want.primaryKey.columns, pk.columns)) {
      problems.push(`${t}: schema says primary key ${list(want.primaryKey.columns)}, database has ${list(pk.columns)}`);
    } else if (pk.name !== want.primaryKey.name) {
      problems.push(`${t}: primary key ${list(pk.columns)}: schema says name ${want.primaryKey.name}, database has ${pk.name}`);
    }
  }

  // Unique and plain indexes: match exactly on columns and uniqueness first, then on columns alone.
  const unmatched = have.indexes.filter((index) => !index.primary);
  const take = (predicate: (index: DbIndex) => boolean): DbIndex | undefined => {
    const at = unmatched.findIndex(predicate);
    return at < 0 ? undefined : unmatched.splice(at, 1)[0];
  };
  const pairs: [ExpectedIndex, DbIndex | undefined][] = want.indexes.map((index) => [
    index,
    take((got) => got.unique === index.unique && sameList(got.columns, index.columns)),
  ]);
  for (const pair of pairs) if (!pair[1]) pair[1] = take((got) => sameList(got.columns, pair[0].columns));

  for (const [index, got] of pairs) {
    const what = `${index.unique ? 'unique index' : 'index'} ${list(index.columns)}`;
    if (!got) {
      problems.push(`${t}: ${what} is missing (expected as ${index.name})`);
      continue;
    }
    if (got.unique !== index.unique) {
      // The default name follows from uniqueness (_key / _idx), so only this is reported.
      problems.push(
        `${t}: index ${list(index.columns)}: schema says ${index.unique ? 'unique' : 'not unique'}, database has ${got.unique ? 'unique' : 'not unique'}`,
      );
    } else if (got.name !== index.name) problems.push(`${t}: ${what}: schema says name ${index.name}, database has ${got.name}`);
    if (got.method !== index.method) problems.push(`${t}: ${what}: schema says ${index.method}, database has ${got.method}`);
    if (got.partial)
      problems.push(`${t}: ${what}: database index ${got.name} is partial (has a WHERE clause); schema.prisma cannot express that`);
    if (!sameList(got.descending, index.descending)) {
      const order = (desc: boolean[]): string => desc.map((d) => (d ? 'DESC' : 'ASC')).join(', ');
      problems.push(`${t}: ${what}: schema says order ${order(index.descending)}, database has ${order(got.descending)}`);
    }
  }
  for (const got of unmatched) {
    problems.push(
      `${t}: ${got.unique ? 'unique index' : 'index'} ${got.name} on ${list(got.columns)} is in the database but not in schema.prisma`,
    );
  }

  // Foreign keys, matched on columns and target.
  const fks = [...have.foreignKeys];
  for (const fk of want.foreignKeys) {
    const at = fks.findIndex(
      (got) =>
        sameList(got.columns, fk.columns) &&
        got.referencedTable === fk.referencedTable &&
        sameList(got.referencedColumns, fk.referencedColumns),
    );
    const target = `${fk.referencedTable}${list(fk.referencedColumns)}`;
    if (at < 0) {
      problems.push(`${t}: foreign key ${list(fk.columns)} -> ${target} is missing (relation ${fk.field})`);
      continue;
    }
    const got = fks.splice(at, 1)[0]!;
    if (got.onDelete !== fk.onDelete) {
      problems.push(
        `${t}: foreign key ${got.name}: schema says ON DELETE ${REFERENTIAL[fk.onDelete]}, database has ON DELETE ${REFERENTIAL[got.onDelete]}`,
      );
    }
    if (got.onUpdate !== fk.onUpdate) {
      problems.push(
        `${t}: foreign key ${got.name}: schema says ON UPDATE ${REFERENTIAL[fk.onUpdate]}, database has ON UPDATE ${REFERENTIAL[got.onUpdate]}`,
      );
    }
  }
  for (const got of fks) {
    problems.push(
      `${t}: foreign key ${got.name} ${list(got.columns)} -> ${got.referencedTable}${list(got.referencedColumns)} is in the database but not in schema.prisma`,
    );
  }
}

/** Parses schema.prisma and compares it with a database snapshot. */
export function checkSchema(prismaSchema: string, actual: DbSchema, options?: CompareOptions): string[] {
  return compareSchema(expectedSchema(prismaSchema), actual, options);
}

// ---------------------------------------------------------------------------------------------
// Reading the database (the only part that does I/O)

/** Anything with pg's `query` (a Client, a PoolClient, a Pool). */
export interface Queryable {
  query<R extends object = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

const ACTIONS: Record<string, ReferentialAction> = { a: 'NoAction', r: 'Restrict', c: 'Cascade', n: 'SetNull', d: 'SetDefault' };

/** Tables, columns, indexes and foreign keys of one schema (default: the connection's current schema). */
export async function readDatabaseSchema(db: Queryable, schemaName?: string): Promise<DbSchema> {
  const schema = schemaName ?? (await db.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s;
  if (!schema) throw new Error('the connection has no current schema (check search_path)');

  const tables = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname`,
    [schema],
  );
  const columns = await db.query<{
    table: string;
    name: string;
    type: string;
    nullable: boolean;
    default: string | null;
    identity: string;
  }>(
    `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            NOT a.attnotnull AS nullable, pg_get_expr(d.adbin, d.adrelid) AS default, a.attidentity::text AS identity
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
      ORDER BY c.relname, a.attnum`,
    [schema],
  );
  const indexes = await db.query<{
    table: string;
    name: string;
    unique: boolean;
    primary: boolean;
    method: string;
    partial: boolean;
    columns: (string | null)[];
    options: number[];
  }>(
    `SELECT t.relname AS table, i.relname AS name, x.indisunique AS unique, x.indisprimary AS primary,
            am.amname AS method, x.indpred IS NOT NULL AS partial,
            ARRAY(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                    LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                   WHERE k.ord <= x.indnkeyatts ORDER BY k.ord)::text[] AS columns,
            x.indoption::int2[] AS options
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       JOIN pg_am am ON am.oid = i.relam
      WHERE n.nspname = $1 AND t.relkind IN ('r', 'p')
      ORDER BY t.relname, i.relname`,
    [schema],
  );
  const foreignKeys = await db.query<{
    table: string;
    name: string;
    referenced_table: string;
    columns: string[];
    referenced_columns: string[];
    on_delete: string;
    on_update: string;
  }>(
    `SELECT t.relname AS table, con.conname AS name, rt.relname AS referenced_table,
            ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns,
            ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS referenced_columns,
            con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update
       FROM pg_constraint con
       JOIN pg_class t ON t.oid = con.conrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       JOIN pg_class rt ON rt.oid = con.confrelid
      WHERE con.contype = 'f' AND n.nspname = $1
      ORDER BY t.relname, con.conname`,
    [schema],
  );

  return {
    tables: tables.rows.map(({ name }) => ({
      name,
      columns: columns.rows
        .filter((c) => c.table === name)
        .map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, default: c.identity !== '' ? 'identity' : c.default })),
      indexes: indexes.rows
        .filter((i) => i.table === name)
        .map((i) => ({
          name: i.name,
          columns: i.columns,
          unique: i.unique,
          primary: i.primary,
          method: i.method,
          partial: i.partial,
          // indoption bit 0 is DESC.
          descending: i.columns.map((_, k) => ((i.options[k] ?? 0) & 1) === 1),
        })),
      foreignKeys: foreignKeys.rows
        .filter((f) => f.table === name)
        .map((f) => ({
          name: f.name,
          columns: f.columns,
          referencedTable: f.referenced_table,
          referencedColumns: f.referenced_columns,
          onDelete: ACTIONS[f.on_delete] ?? 'NoAction',
          onUpdate: ACTIONS[f.on_update] ?? 'NoAction',
        })),
    })),
  };
}
