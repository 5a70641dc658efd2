import { Body, Controller, Get, Headers, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Actor, CurrentActor } from '../common/decorators/actor.decorator';
import { ApiPageResponse } from '../common/decorators/api-page-response.decorator';
import { ApiProblems } from '../common/decorators/api-problems.decorator';
import { Operation } from '../common/decorators/operation.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import { LOCATION_HEADER_DOC } from '../common/http/documented-headers';
import { Page, PageQueryDto } from '../common/pagination/cursor';
import { CreateProductDto } from './dto/create-product.dto';
import { UpdateProductDto } from './dto/update-product.dto';
import { ETAG_HEADER_DOC, IF_MATCH_HEADER_DOC, parseIfMatch, versionEtag } from './etag';
import { ProductView } from './product.view';
import { ProductsService } from './products.service';

@ApiTags('products')
@Controller('v1/products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get()
  @Operation('listProducts', 'List the catalogue')
  @ApiPageResponse(ProductView)
  list(@Query() query: PageQueryDto): Promise<Page<ProductView>> {
    return this.products.list(query);
  }

  @Get(':id')
  @Operation('getProduct', 'Get a product')
  @ApiOkResponse({ type: ProductView, headers: { ETag: ETAG_HEADER_DOC } })
  async get(@Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<ProductView> {
    const product = await this.products.get(id);
    void reply.header('ETag', versionEtag(product.version));
    return product;
  }

  @Post()
  @Roles('admin')
  @Operation('createProduct', 'Add a product to the catalogue')
  @ApiCreatedResponse({
    type: ProductView,
    headers: { Location: LOCATION_HEADER_DOC, ETag: ETAG_HEADER_DOC },
  })
  @ApiProblems('SKU_TAKEN')
  async create(
    @CurrentActor() actor: Actor,
    @Body() dto: CreateProductDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ProductView> {
    const product = await this.products.create(actor, dto);
    void reply.header('Location', `/v1/products/${product.id}`).header('ETag', versionEtag(product.version));
    return product;
  }

  @Patch(':id')
  @Roles('admin')
  @Operation('updateProduct', 'Change a product', 'Optimistic concurrency with `If-Match` (optional).')
  @ApiHeader(IF_MATCH_HEADER_DOC)
  @ApiOkResponse({ type: ProductView, headers: { ETag: ETAG_HEADER_DOC } })
  @ApiProblems('PRECONDITION_FAILED')
  async update(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() dto: UpdateProductDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ProductView> {
    const product = await this.products.update(actor, id, dto, parseIfMatch(ifMatch));
    void reply.header('ETag', versionEtag(product.version));
    return product;
  }
}
