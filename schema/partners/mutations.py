"""Supplier, customer and address mutations and their payloads."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from schema.auth.permissions import needs
from schema.enums import value_of
from schema.errors import PartnerError, invalid_id, run_action
from schema.partners.inputs import AddressInput, PartnerInput
from schema.partners.types import Customer, PartnerAddress, Supplier
from schema.relay import decode_id, from_global_id
from server.partners import services
from server.partners.errors import PartnerError as PartnerErrorCls
from server.partners.errors import PartnerErrorCode
from server.partners.models import partner_address

CODES = PartnerErrorCode


def _domain(data: PartnerInput) -> services.PartnerInput:
    return services.PartnerInput(
        code=data.code,
        name=data.name,
        contact_name=data.contact_name,
        phone=data.phone,
        email=data.email,
        address=data.address,
        tax_id=data.tax_id,
        payment_terms_days=data.payment_terms_days,
        currency=data.currency,
        bank_name=data.bank_name,
        bank_account=data.bank_account,
        credit_rating=value_of(data.credit_rating),
        credit_limit=data.credit_limit,
        invoice_title=data.invoice_title,
        invoice_type=value_of(data.invoice_type),
        discount=data.discount,
        salesperson=data.salesperson,
    )


@strawberry.type
class SupplierPayload:
    supplier: Supplier | None
    errors: list[PartnerError]


@strawberry.type
class CustomerPayload:
    customer: Customer | None
    errors: list[PartnerError]


KINDS = {  # GraphQL type, node type, payload type, the node's loader
    "supplier": ("Supplier", Supplier, SupplierPayload, lambda loaders: loaders.supplier),
    "customer": ("Customer", Customer, CustomerPayload, lambda loaders: loaders.customer),
}


async def _save(info: Info, kind: str, action_factory, global_id: strawberry.ID | None = None):
    type_name, node_type, payload_type, loader_of = KINDS[kind]
    pk = None
    if global_id is not None:
        pk = decode_id(global_id, type_name)
        if pk is None:
            return payload_type(**{kind: None, "errors": invalid_id(CODES, "id", kind, info.context.lang)})
    result, errors = await run_action(info, CODES, lambda: action_factory(pk))
    pk = result if global_id is None else pk
    node = None
    if not errors:
        node = node_type.from_row(await loader_of(info.context.loaders.partners).load(pk))
    return payload_type(**{kind: node, "errors": errors})


def _partner_mutations(kind: str):
    title = kind.capitalize()

    async def create(self, info: Info, input: PartnerInput, idempotency_key: str | None = None):
        return await _save(
            info,
            kind,
            lambda _pk: services.do_create_partner(
                info.context.db, kind, _domain(input), idempotency_key=idempotency_key, principal=info.context.principal
            ),
        )

    async def update(self, info: Info, id: strawberry.ID, input: PartnerInput):
        return await _save(
            info,
            kind,
            lambda pk: services.do_update_partner(
                info.context.db, kind, pk, _domain(input), principal=info.context.principal
            ),
            id,
        )

    async def set_active(self, info: Info, id: strawberry.ID, active: bool):
        return await _save(
            info,
            kind,
            lambda pk: services.do_set_partner_active(
                info.context.db, kind, pk, active, principal=info.context.principal
            ),
            id,
        )

    payload = KINDS[kind][2]
    for fn in (create, update, set_active):
        fn.__annotations__["return"] = payload
    return {
        f"create_{kind}": strawberry.mutation(
            create, description=f"Create a {kind}.", extensions=needs("partner.edit")
        ),
        f"update_{kind}": strawberry.mutation(
            update, description=f"Change a {kind}'s fields (those given).", extensions=needs("partner.edit")
        ),
        f"set_{kind}_active": strawberry.mutation(
            set_active, description=f"Archive or restore a {title}; never deleted.", extensions=needs("partner.edit")
        ),
    }


@strawberry.type
class AddressPayload:
    address: PartnerAddress | None
    errors: list[PartnerError]


async def _address_payload(info: Info, action) -> AddressPayload:
    address_id, errors = await run_action(info, CODES, action)
    if errors:
        return AddressPayload(address=None, errors=errors)
    async with info.context.db.read() as conn:
        row = (await conn.execute(select(partner_address).where(partner_address.c.id == address_id))).one()
    return AddressPayload(address=PartnerAddress.from_row(row), errors=[])


@strawberry.type
class AddressMutation:
    @strawberry.mutation(
        description="Add a contact/address to a supplier or customer.", extensions=needs("partner.edit")
    )
    async def add_partner_address(self, info: Info, partner_id: strawberry.ID, input: AddressInput) -> AddressPayload:
        async def action():
            kind, pk = from_global_id(partner_id)
            if kind not in ("Supplier", "Customer"):
                raise PartnerErrorCls("NOT_FOUND", "partnerId", what="customer")
            return await services.do_add_partner_address(
                info.context.db,
                kind.lower(),
                pk,
                services.AddressInput(
                    kind=input.kind.value,
                    address=input.address,
                    contact_name=input.contact_name,
                    phone=input.phone,
                    is_default=input.is_default,
                ),
                principal=info.context.principal,
            )

        return await _address_payload(info, action)

    @strawberry.mutation(description="Archive or restore an address.", extensions=needs("partner.edit"))
    async def set_partner_address_active(self, info: Info, id: strawberry.ID, active: bool) -> AddressPayload:
        async def action():
            pk = decode_id(id, "PartnerAddress")
            if pk is None:
                raise PartnerErrorCls("NOT_FOUND", "id", what="address")
            await services.do_set_partner_address_active(info.context.db, pk, active, principal=info.context.principal)
            return pk

        return await _address_payload(info, action)


PartnersMutation = strawberry.type(
    type("PartnersMutation", (AddressMutation,), {**_partner_mutations("supplier"), **_partner_mutations("customer")})
)
