import type { Type } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { pageViewOf } from '../pagination/page.view';

/** Documents a cursor-paginated list answer: 200 with `{data: View[], nextCursor}` (a named `…Page` schema). */
export const ApiPageResponse = (view: Type, description = 'One page, newest first'): MethodDecorator =>
  ApiOkResponse({ type: pageViewOf(view), description });
