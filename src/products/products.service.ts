import { Injectable } from '@nestjs/common';
import { AUDIT_ACTIONS, AUDIT_ENTITIES } from '../audit/audit-actions';
import { AuditWriter } from '../audit/audit.writer';
import { AppError, NotFoundError } from '../common/errors/app-error';
import type { Actor } from '../common/decorators/actor.decorator';
import { decodeCursor, DEFAULT_PAGE_SIZE, Page, PageQueryDto, toPage } from '../common/pagination/cursor';
import { isUuid } from '../common/uuid';
import { TransactionRunner } from '../database/transaction-runner';
import type { CreateProductDto } from './dto/create-product.dto';
import type { UpdateProductDto } from './dto/update-product.dto';
import type { IfMatch } from './etag';
import { toProductView, ProductView } from './product.view';
import { ProductsRepository } from './products.repository';

/** The catalogue: read by every signed-in user, changed by admins (each change audited, in its transaction). */
@Injectable()
export class ProductsService {
  constructor(
    private readonly products: ProductsRepository,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
  ) {}

  async list(query: PageQueryDto): Promise<Page<ProductView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.products.list(
      limit,
      query.cursor === undefined ? undefined : decodeCursor(query.cursor),
    );
    return toPage(rows, limit, toProductView);
  }

  async get(id: string): Promise<ProductView> {
    const row = isUuid(id) ? await this.products.findById(id) : undefined;
    if (!row) throw new NotFoundError('product');
    return toProductView(row);
  }

  async create(actor: Actor, dto: CreateProductDto): Promise<ProductView> {
    return this.tx.run(async (manager) => {
      const row = await this.products.insert(manager, dto);
      if (!row) throw new AppError('SKU_TAKEN', `A product with SKU ${dto.sku} already exists.`);
      await this.audit.record(manager, {
        action: AUDIT_ACTIONS.PRODUCT_CREATED,
        actorId: actor.user?.id ?? null,
        entity: AUDIT_ENTITIES.PRODUCT,
        entityId: row.id,
        requestId: actor.requestId,
        changes: { sku: row.sku, name: row.name, priceCents: row.price_cents, stock: row.stock },
      });
      return toProductView(row);
    });
  }

  /**
   * Optimistic concurrency: with `If-Match` the update applies only to the version(s) named
   * (`UPDATE … WHERE version = …`, atomic); a stale one → 412 PRECONDITION_FAILED. A change that
   * changes nothing (an empty body, or the values the product already has) answers the product as it
   * is: no new version, no audit entry (docs/api.md, "Products").
   */
  async update(actor: Actor, id: string, dto: UpdateProductDto, ifMatch?: IfMatch): Promise<ProductView> {
    if (!isUuid(id)) throw new NotFoundError('product');
    const versions = ifMatch && !ifMatch.any ? ifMatch.versions : undefined;
    return this.tx.run(async (manager) => {
      const updated = await this.products.update(manager, id, dto, versions);
      if (!updated) {
        if (!(await this.products.exists(manager, id))) throw new NotFoundError('product');
        throw new AppError(
          'PRECONDITION_FAILED',
          'The product has changed since the version named in If-Match; read it again.',
        );
      }
      const { before, after } = updated;
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      if (before.name !== after.name) changes.name = { from: before.name, to: after.name };
      if (before.price_cents !== after.price_cents)
        changes.priceCents = { from: before.price_cents, to: after.price_cents };
      if (before.stock !== after.stock) changes.stock = { from: before.stock, to: after.stock };
      if (Object.keys(changes).length === 0) return toProductView(after);
      await this.audit.record(manager, {
        action: AUDIT_ACTIONS.PRODUCT_UPDATED,
        actorId: actor.user?.id ?? null,
        entity: AUDIT_ENTITIES.PRODUCT,
        entityId: id,
        requestId: actor.requestId,
        changes,
      });
      return toProductView(after);
    });
  }
}
