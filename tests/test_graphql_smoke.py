"""A first pass through the API: master data, a receipt and the stock-level list."""

from schema.relay import to_global_id
from tests.factories import make_product, make_world


async def test_receive_then_list_stock_levels(gql):
    w = await make_world(gql.db)
    p = await make_product(gql.db, w)
    data = await gql.execute(
        """mutation($lines: [ReceiveLineInput!]!, $key: String!) {
             receiveStock(lines: $lines, idempotencyKey: $key, reference: "PO-1") {
               replayed errors { field code message }
               operation { operationType moves { edges { node { quantity value moveType toLocation { code } } } } }
             } }""",
        {
            "lines": [
                {
                    "productId": to_global_id("Product", p),
                    "locationId": to_global_id("Location", w.a1),
                    "quantity": "2",
                    "unitId": to_global_id("Unit", w.box),
                    "unitCost": "120.00",
                }
            ],
            "key": "k1",
        },
    )
    payload = data["receiveStock"]
    assert payload["errors"] == []
    assert payload["operation"]["moves"]["edges"] == [
        {"node": {"quantity": "24", "value": "240.00", "moveType": "RECEIPT", "toLocation": {"code": "WH1-A-01"}}}
    ]
    levels = await gql.execute("{ stockLevels { totalCount edges { node { quantity product { sku } } } } }")
    assert levels["stockLevels"]["totalCount"] == 1
    assert levels["stockLevels"]["edges"][0]["node"]["quantity"] == "24"
