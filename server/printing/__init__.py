"""Printed documents (单据打印): purchase orders, goods receipts (入库单), pick lists, delivery notes
(送货单/出库单), sales invoices and vouchers (记账凭证) as PDF on A4, A5 or 241 mm continuous
three-part paper (三联单), with the font embedded and totals in capital numerals.

``documents`` reads a document into a ``forms.PrintedForm`` as the caller may see it; ``pdf`` draws
it on a paper, amounts also in 人民币大写 (``server.sales.invoicing.amount_in_words``, cn2an). The web route is ``server/web/printing.py``.
"""
