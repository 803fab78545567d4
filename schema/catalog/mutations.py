"""Catalog mutations and their payloads: units, categories and products."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.catalog.inputs import CreateCategoryInput, CreateUnitInput, ProductInput, UpdateCategoryInput
from schema.catalog.types import Category, Product, Unit, product_from_id
from schema.enums import value_of
from schema.errors import CatalogError, invalid_id, run_action
from schema.relay import decode_id
from server.catalog import services
from server.catalog.errors import CatalogErrorCode

CODES = CatalogErrorCode


@strawberry.type
class UnitPayload:
    unit: Unit | None
    errors: list[CatalogError]


@strawberry.type
class CategoryPayload:
    category: Category | None
    errors: list[CatalogError]


@strawberry.type
class ProductPayload:
    product: Product | None
    errors: list[CatalogError]


class _BadId(Exception):
    def __init__(self, field: str, what: str):
        self.field, self.what = field, what


def _id(value, type_name: str, field: str, what: str) -> int | None:
    if value is None:
        return None
    pk = decode_id(value, type_name)
    if pk is None:
        raise _BadId(field, what)
    return pk


def _to_domain(data: ProductInput) -> services.ProductInput:
    return services.ProductInput(
        sku=data.sku,
        name=data.name,
        spec=data.spec,
        category_id=_id(data.category_id, "Category", "categoryId", "category"),
        base_unit_id=_id(data.base_unit_id, "Unit", "baseUnitId", "unit"),
        sale_price=data.sale_price,
        purchase_price=data.purchase_price,
        vat_rate=data.vat_rate,
        reorder_point=data.reorder_point,
        reorder_quantity=data.reorder_quantity,
        tracking=value_of(data.tracking),
        units=[
            services.AltUnitInput(_id(u.unit_id, "Unit", f"units.{i}.unitId", "unit"), u.factor)
            for i, u in enumerate(data.units)
        ],
        barcodes=[
            services.BarcodeInput(b.code, _id(b.unit_id, "Unit", f"barcodes.{i}.unitId", "unit"))
            for i, b in enumerate(data.barcodes)
        ],
    )


async def _product_payload(info: Info, action) -> ProductPayload:
    try:
        pid, errors = await run_action(info, CODES, action)
    except _BadId as bad:
        return ProductPayload(product=None, errors=invalid_id(CODES, bad.field, bad.what, info.context.lang))
    return ProductPayload(product=await product_from_id(info, pid) if pid else None, errors=errors)


async def _load(info: Info, loader, to_type, pk):
    return to_type(await loader.load(pk)) if pk else None


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(description="Create a unit of measure.", extensions=needs("catalog.edit"))
    async def create_unit(self, info: Info, input: CreateUnitInput) -> UnitPayload:
        pk, errors = await run_action(
            info,
            CODES,
            lambda: services.do_create_unit(
                info.context.db,
                code=input.code,
                name=input.name,
                name_en=input.name_en,
                precision=input.precision,
                idempotency_key=input.idempotency_key,
                principal=info.context.principal,
            ),
        )
        return UnitPayload(unit=await _load(info, info.context.loaders.catalog.unit, Unit.from_row, pk), errors=errors)

    @strawberry.mutation(description="Create a category, optionally under a parent.", extensions=needs("catalog.edit"))
    async def create_category(self, info: Info, input: CreateCategoryInput) -> CategoryPayload:
        parent = decode_id(input.parent_id, "Category") if input.parent_id else None
        if input.parent_id and parent is None:
            return CategoryPayload(category=None, errors=invalid_id(CODES, "parentId", "category", info.context.lang))
        pk, errors = await run_action(
            info,
            CODES,
            lambda: services.do_create_category(
                info.context.db,
                code=input.code,
                name=input.name,
                parent_id=parent,
                idempotency_key=input.idempotency_key,
                principal=info.context.principal,
            ),
        )
        return CategoryPayload(
            category=await _load(info, info.context.loaders.catalog.category, Category.from_row, pk), errors=errors
        )

    @strawberry.mutation(
        description="Rename a category or move it in the tree (cycles are refused).", extensions=needs("catalog.edit")
    )
    async def update_category(self, info: Info, input: UpdateCategoryInput) -> CategoryPayload:
        pk = decode_id(input.id, "Category")
        parent = decode_id(input.parent_id, "Category") if input.parent_id else None
        if pk is None or (input.parent_id and parent is None):
            field = "id" if pk is None else "parentId"
            return CategoryPayload(category=None, errors=invalid_id(CODES, field, "category", info.context.lang))

        async def action():
            await services.do_update_category(
                info.context.db,
                pk,
                name=input.name,
                parent_id=parent,
                clear_parent=input.make_root,
                principal=info.context.principal,
            )
            return pk

        pk, errors = await run_action(info, CODES, action)
        return CategoryPayload(
            category=await _load(info, info.context.loaders.catalog.category, Category.from_row, pk), errors=errors
        )

    @strawberry.mutation(
        description="Create a product with its alternative units and barcodes (GTINs are checked).",
        extensions=needs("catalog.edit"),
    )
    async def create_product(
        self, info: Info, input: ProductInput, idempotency_key: str | None = None
    ) -> ProductPayload:
        return await _product_payload(
            info,
            lambda: services.do_create_product(
                info.context.db, _to_domain(input), idempotency_key=idempotency_key, principal=info.context.principal
            ),
        )

    @strawberry.mutation(description="Change a product's fields (those given).", extensions=needs("catalog.edit"))
    async def update_product(self, info: Info, id: strawberry.ID, input: ProductInput) -> ProductPayload:
        async def action():
            pk = _id(id, "Product", "id", "product")
            data = _to_domain(input)
            await services.do_update_product(info.context.db, pk, data, principal=info.context.principal)
            return pk

        return await _product_payload(info, action)

    @strawberry.mutation(
        description="Archive (active=false) or restore a product. Products are never deleted.",
        extensions=needs("catalog.edit"),
    )
    async def set_product_active(self, info: Info, id: strawberry.ID, active: bool) -> ProductPayload:
        async def action():
            pk = _id(id, "Product", "id", "product")
            await services.do_set_product_active(info.context.db, pk, active, principal=info.context.principal)
            return pk

        return await _product_payload(info, action)
