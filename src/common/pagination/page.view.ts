import type { Type } from '@nestjs/common';
import { ApiProperty, ApiSchema, getSchemaPath } from '@nestjs/swagger';

const pages = new Map<Type, Type>();

/**
 * The documented shape of a page of `view` (`{data: View[], nextCursor}`, `Page<T>` in
 * src/common/pagination/cursor.ts): one class per view, so that each page is a named schema
 * (`OrderPage` for the view documented as `Order`…).
 */
export function pageViewOf(view: Type): Type {
  let page = pages.get(view);
  if (!page) {
    const name = `${getSchemaPath(view).split('/').pop()}Page`;
    class PageView {
      @ApiProperty({ type: [view], description: 'Newest first' })
      data!: unknown[];

      @ApiProperty({
        type: 'string',
        nullable: true,
        description: 'Pass as `?cursor=` for the next page; null on the last page',
      })
      nextCursor!: string | null;
    }
    Object.defineProperty(PageView, 'name', { value: name });
    ApiSchema({ name })(PageView);
    page = PageView;
    pages.set(view, page);
  }
  return page;
}
