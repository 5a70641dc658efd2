import { Body, Controller, Get, Headers, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Actor, CurrentActor } from '../common/decorators/actor.decorator';
import { Roles } from '../common/decorators/roles.decorator';
import { Page, PageQueryDto } from '../common/pagination/cursor';
import { CreateProductDto } from './dto/create-product.dto';
import { UpdateProductDto } from './dto/update-product.dto';
import { parseIfMatch, versionEtag } from './etag';
import type { ProductView } from './product.view';
import { ProductsService } from './products.service';

@Controller('v1/products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get()
  list(@Query() query: PageQueryDto): Promise<Page<ProductView>> {
    return this.products.list(query);
  }

  @Get(':id')
  async get(@Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<ProductView> {
    const product = await this.products.get(id);
    void reply.header('ETag', versionEtag(product.version));
    return product;
  }

  @Post()
  @Roles('admin')
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
