"""The finance API: set-up, manual vouchers with review by another person, typed errors, the
statements and their XLSX/PDF downloads."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from server.core import clock
from server.finance.ledger import period_of
from tests.gql import admin_token

pytestmark = pytest.mark.dates  # also run on 12-31, 01-01 and 02-29 by `make test`

TODAY = clock.today().isoformat()
P = period_of(clock.today())

CREATE = """mutation($input: VoucherInput!) { createVoucher(input: $input) {
  voucher { id number status total lines { accountCode debit credit } } errors { field code message } } }"""


async def test_voucher_flow_statements_and_exports(gql):
    r = await gql.execute("mutation { setupBooks(standard: ENTERPRISE) { ok errors { code } } }")
    assert r["setupBooks"] == {"ok": True, "errors": []}
    again = await gql.execute("mutation { setupBooks(standard: SMALL) { ok errors { code } } }")
    assert again["setupBooks"]["errors"] == [{"code": "ALREADY_SET_UP"}]

    accountant = await admin_token(gql.db, "accountant")
    manager = await admin_token(gql.db, "finance_manager")
    lines = [{"accountCode": "1002", "debit": "800.00"}, {"accountCode": "4001", "credit": "800.00"}]
    made = await gql.execute(
        CREATE, {"input": {"voucherDate": TODAY, "memo": "投入资本", "lines": lines}}, token=accountant
    )
    v = made["createVoucher"]["voucher"]
    assert v["status"] == "draft" and v["number"] == "" and v["total"] == "800.00"

    bad = await gql.execute(
        CREATE,
        {
            "input": {
                "voucherDate": TODAY,
                "memo": "x",
                "lines": [{"accountCode": "1002", "debit": "1.00"}, {"accountCode": "4001", "credit": "0.99"}],
            }
        },
        token=accountant,
        lang="en",
    )
    assert bad["createVoucher"]["voucher"] is None
    assert bad["createVoucher"]["errors"][0]["code"] == "UNBALANCED"
    assert "Debits and credits differ" in bad["createVoucher"]["errors"][0]["message"]

    review = "mutation($id: ID!) { reviewVoucher(id: $id) { voucher { status reviewedBy } errors { code } } }"
    own = await gql.execute(review, {"id": v["id"]}, token=accountant)
    assert own["reviewVoucher"]["errors"] == [{"code": "SELF_REVIEW"}]
    ok = await gql.execute(review, {"id": v["id"]}, token=manager)
    assert ok["reviewVoucher"]["voucher"]["status"] == "reviewed"
    posted = await gql.execute(
        "mutation($id: ID!) { postVoucher(id: $id) { voucher { number status } errors { code } } }",
        {"id": v["id"]},
        token=accountant,
    )
    assert posted["postVoucher"]["voucher"] == {"number": "记-0001", "status": "posted"}

    st = await gql.execute(
        """query($p: Int!) { financialStatement(kind: BALANCE_SHEET, period: $p) {
      title rows { key values } xlsxUrl pdfUrl } }""",
        {"p": P},
    )
    rows = {r["key"]: r["values"] for r in st["financialStatement"]["rows"]}
    assert rows["cash"][0] == "800.00" and rows["capital"][0] == "800.00"
    assert rows["total_assets"][0] == rows["total_liabilities_and_equity"][0] == "800.00"

    tb = await gql.execute("query($p: Int!) { trialBalance(period: $p) { code debit credit closing } }", {"p": P})
    by_code = {r["code"]: r for r in tb["trialBalance"]}
    assert by_code["1002"]["debit"] == "800.00" and by_code["4001"]["closing"] == "-800.00"

    headers = {"authorization": f"Bearer {gql.token}"}
    xlsx = await gql.http.get(st["financialStatement"]["xlsxUrl"], headers=headers)
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert float(values["货币资金 Cash and cash equivalents"]) == 800.0
    pdf = await gql.http.get(st["financialStatement"]["pdfUrl"], headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    tb_pdf = await gql.http.get(f"/finance/statements/trial_balance.pdf?period={P}", headers=headers)
    assert tb_pdf.status_code == 200
    ledger = await gql.http.get(f"/finance/statements/detail_ledger.xlsx?period={P}&account=1002", headers=headers)
    rows = list(load_workbook(io.BytesIO(ledger.content)).active.iter_rows(min_row=3, values_only=True))
    assert rows[-1][1:] == (800, 0, 800) and "记-0001" in rows[1][0]
    gl = await gql.http.get(f"/finance/statements/general_ledger.pdf?period={P}&account=1002", headers=headers)
    assert gl.status_code == 200 and gl.content.startswith(b"%PDF")
    months = list(
        load_workbook(
            io.BytesIO(
                (
                    await gql.http.get(
                        f"/finance/statements/general_ledger.xlsx?period={P}&account=4001", headers=headers
                    )
                ).content
            )
        ).active.iter_rows(min_row=3, values_only=True)
    )
    assert len(months) == 12 and months[P % 100 - 1][1:] == (0, 0, 800, -800)
    denied = await gql.http.get(st["financialStatement"]["xlsxUrl"])
    assert denied.status_code == 401  # not signed in (a missing permission is 403)


async def test_finance_mutations_need_their_permissions(gql):
    await gql.execute("mutation { setupBooks(standard: ENTERPRISE) { ok } }")
    clerk = await admin_token(gql.db, "warehouse_keeper")
    r = await gql.post(CREATE, {"input": {"voucherDate": TODAY, "memo": "x", "lines": []}}, token=clerk)
    assert r["data"] is None and "finance.post" in r["errors"][0]["message"]
    cashier = await admin_token(gql.db, "cashier")
    r = await gql.post("mutation { closePeriod(period: 202601) { ok } }", token=cashier)
    assert r["data"] is None and "finance.period" in r["errors"][0]["message"]
