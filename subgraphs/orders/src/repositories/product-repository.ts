import type { PrismaClient } from '../generated/prisma/client';
import type { Product } from '../domain/order';
import type { OutboxEntry } from '../events/order-events';

const PRODUCT_COLUMNS = { sku: true, name: true, priceCents: true, currency: true, stock: true } as const;

/** Data access for the catalog. */
export function createProductRepository(prisma: PrismaClient) {
  return {
    findBySkus(skus: readonly string[]): Promise<Product[]> {
      if (skus.length === 0) return Promise.resolve([]);
      return prisma.product.findMany({ where: { sku: { in: [...skus] } }, select: PRODUCT_COLUMNS });
    },

    /** A page in sku order, `limit + 1` rows to tell if more follow. */
    listPage(limit: number, afterSku: string | null): Promise<Product[]> {
      return prisma.product.findMany({
        where: afterSku ? { sku: { gt: afterSku } } : {},
        orderBy: { sku: 'asc' },
        take: limit + 1,
        select: PRODUCT_COLUMNS,
      });
    },

    count(): Promise<number> {
      return prisma.product.count();
    },

    /** Creates or replaces the product and records `event` in the outbox, in one transaction. */
    async upsert(product: Product, event: OutboxEntry): Promise<Product> {
      const { sku, ...fields } = product;
      const [saved] = await prisma.$transaction([
        prisma.product.upsert({ where: { sku }, create: product, update: fields, select: PRODUCT_COLUMNS }),
        prisma.outboxEvent.create({
          data: { id: event.id, subject: event.subject, payload: new Uint8Array(event.payload), traceparent: event.traceparent ?? null },
          select: { id: true },
        }),
      ]);
      return saved;
    },

    /** Inserts the products only when the catalog is empty (first start). Returns how many were added. */
    async seedIfEmpty(products: Product[]): Promise<number> {
      if ((await prisma.product.count()) > 0) return 0;
      const result = await prisma.product.createMany({ data: products, skipDuplicates: true });
      return result.count;
    },
  };
}

export type ProductRepository = ReturnType<typeof createProductRepository>;
