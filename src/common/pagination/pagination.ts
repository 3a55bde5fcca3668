import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min, ValidateBy } from 'class-validator';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { AppError } from '../errors/app-error';
import { type CursorPosition, decodeCursor, encodeCursor } from './page-cursor';

export const DEFAULT_PAGE_SIZE = 20;
export const PAGE_ORDERS = ['asc', 'desc'] as const;
export type PageOrder = (typeof PAGE_ORDERS)[number];

const LIMIT_MESSAGE = 'must be a whole number from 1 to 100';
const CURSOR_MESSAGE = 'must be a nextCursor this list gave out';

/** A query string's `limit` as a number only when it is plainly written digits (no `1e1`, `0x10`). */
const toLimit = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\d{1,3}$/.test(value) ? Number(value) : value;

/** The decorators of a cursor parameter (`cursor`, and `after` where a list names it so). */
export function IsPageCursor(): PropertyDecorator {
  return ValidateBy({
    name: 'isPageCursor',
    validator: {
      validate: (value) => decodeCursor(value) !== null,
      defaultMessage: () => CURSOR_MESSAGE,
    },
  });
}

/**
 * The query of every list: `limit` (1–100, default 20), `cursor` (the `nextCursor` of the
 * previous page) and `order` of creation. Lists that show the newest first use
 * `NewestFirstPageQueryDto`, which differs only in the documented default.
 */
export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Transform(toLimit)
  @IsInt({ message: LIMIT_MESSAGE })
  @Min(1, { message: LIMIT_MESSAGE })
  @Max(100, { message: LIMIT_MESSAGE })
  limit?: number;

  @ApiPropertyOptional({
    type: 'string',
    maxLength: 200,
    description: 'The opaque `nextCursor` of the previous page',
  })
  @IsOptional()
  @IsString()
  @IsPageCursor()
  cursor?: string;

  @ApiPropertyOptional({
    enum: PAGE_ORDERS,
    default: 'asc',
    description: 'By creation: `asc` oldest first, `desc` newest first',
  })
  @IsOptional()
  @IsIn(PAGE_ORDERS, { message: 'must be asc or desc' })
  order?: PageOrder;
}

export class NewestFirstPageQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    enum: PAGE_ORDERS,
    default: 'desc',
    description: 'By creation: `desc` newest first, `asc` oldest first',
  })
  override order?: PageOrder;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageOptions {
  /** The order when the query names none: each list documents its own. */
  defaultOrder?: PageOrder;
  /**
   * The property that orders the list before `id`: `createdAt` (a timestamp), unless the list
   * has a better one (the audit log's chain position, an integer).
   */
  key?: string;
  /**
   * For a log that only grows: in ascending order a page with rows always answers a cursor,
   * so a reader at the end can poll with it for what arrives next (an empty page answers null).
   */
  tail?: boolean;
  /** The parameter a bad cursor is reported under (`after` where the list takes that name). */
  cursorField?: string;
}

const MAX_INSTANT = 8.64e15;
const MAX_INT32 = 2 ** 31 - 1;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function isInteger(column: ColumnMetadata): boolean {
  return ['int', 'integer', 'int4', 'smallint', 'bigint'].includes(String(column.type));
}

/** The cursor's position as values of the list's columns, or a 400 naming the parameter. */
function positionValues(
  position: CursorPosition,
  keyColumn: ColumnMetadata,
  idColumn: ColumnMetadata,
  field: string,
): { key: Date | number; id: string } {
  const integer = isInteger(keyColumn);
  const keyFits = position.key <= (integer ? MAX_INT32 : MAX_INSTANT);
  const idFits =
    idColumn.type === 'uuid'
      ? UUID.test(position.id)
      : position.id.length <= Number(idColumn.length || 255);
  if (!keyFits || !idFits) throw AppError.validation([{ field, message: CURSOR_MESSAGE }]);
  return { key: integer ? position.key : new Date(position.key), id: position.id };
}

function keyOf(row: ObjectLiteral, key: string): number {
  const value: unknown = row[key];
  return value instanceof Date ? value.getTime() : Number(value);
}

/**
 * One page of a list query, in a stable order by `(key, id)`: rows after the cursor's position
 * (keyset, so inserts and deletes never shift a page), `limit + 1` of them to learn whether
 * another page exists. The key is compared as the database stores it (`preparePersistentValue`:
 * `timestamptz` on PostgreSQL, UTC text on SQLite), written as `k > :k OR (k = :k AND id > :id)`,
 * which both engines run. Timestamps are written from JavaScript dates, so milliseconds are
 * their whole precision and a cursor's instant is exact.
 */
export async function paginate<T extends ObjectLiteral>(
  builder: SelectQueryBuilder<T>,
  query: Pick<PageQueryDto, 'limit' | 'cursor' | 'order'>,
  options: PageOptions = {},
): Promise<{ rows: T[]; nextCursor: string | null }> {
  const { defaultOrder = 'asc', key = 'createdAt', tail = false, cursorField = 'cursor' } = options;
  const alias = builder.alias;
  const metadata = builder.expressionMap.mainAlias!.metadata;
  const keyColumn = metadata.findColumnWithPropertyName(key);
  const idColumn = metadata.findColumnWithPropertyName('id');
  if (!keyColumn || !idColumn) throw new Error(`${metadata.name} cannot be paged by ${key}`);
  const order = query.order ?? defaultOrder;
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const direction = order === 'asc' ? 'ASC' : 'DESC';
  const position = query.cursor === undefined ? null : decodeCursor(query.cursor);
  if (query.cursor !== undefined && !position)
    throw AppError.validation([{ field: cursorField, message: CURSOR_MESSAGE }]);
  if (position) {
    const after = positionValues(position, keyColumn, idColumn, cursorField);
    const op = order === 'asc' ? '>' : '<';
    builder.andWhere(
      `(${alias}.${key} ${op} :pageKey OR (${alias}.${key} = :pageKey AND ${alias}.id ${op} :pageId))`,
      {
        pageKey: builder.connection.driver.preparePersistentValue(after.key, keyColumn) as unknown,
        pageId: after.id,
      },
    );
  }
  const rows = await builder
    .orderBy(`${alias}.${key}`, direction)
    .addOrderBy(`${alias}.id`, direction)
    .take(limit + 1)
    .getMany();
  const hasMore = rows.length > limit;
  const page = hasMore ? rows.slice(0, limit) : rows;
  const last = page.at(-1);
  const open = hasMore || (tail && order === 'asc');
  return {
    rows: page,
    nextCursor: last && open ? encodeCursor({ key: keyOf(last, key), id: String(last.id) }) : null,
  };
}
