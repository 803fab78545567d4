"""A handheld driven through the public GraphQL API (in-process ``gql`` client), for the scanning tests."""

from __future__ import annotations

import itertools

RESOLVE = """query($c: String!) { resolveBarcode(code: $c) { resolution { kind code gtin lot serial expiryDate
    bestBefore productionDate count netWeightKg packQuantity sscc documentType documentNumber locationId
    product { sku } } errors { code field message } } }"""
START = """mutation($m: ScanMode!, $n: String!, $l: String!) { startScanSession(mode: $m, documentNumber: $n,
    locationCode: $l) { sessionId errors { code field message } } }"""
SCAN = """mutation($s: ID!, $c: String!, $k: String!, $q: Quantity) { scan(sessionId: $s, code: $c, scanId: $k,
    quantity: $q) { answer { ok kind message done needed replayed } errors { code field message } } }"""
BATCH = """mutation($s: ID!, $scans: [ScanItemInput!]!) { scanBatch(sessionId: $s, scans: $scans) {
    results { scanId answer { ok message done needed } errors { code field message } } errors { code message } } }"""
COMPLETE = """mutation($s: ID!) { completeScanSession(sessionId: $s) { documentNumber
    errors { code field message } } }"""


class Handheld:
    """One device: its scan ids are ``<name>-1``, ``<name>-2``…; answers in ``lang``."""

    _ids = itertools.count(1)

    def __init__(self, gql, *, token: str | bool = True, lang: str = "en", name: str | None = None):
        self.gql, self.token, self.lang = gql, token, lang
        self.name = name or f"dev{next(self._ids)}"
        self.n = 0
        self.session: str | None = None

    def next_id(self) -> str:
        self.n += 1
        return f"{self.name}-{self.n}"

    async def call(self, query: str, variables: dict) -> dict:
        return await self.gql.execute(query, variables, token=self.token, lang=self.lang)

    async def resolve(self, code: str) -> tuple[dict | None, list]:
        body = (await self.call(RESOLVE, {"c": code}))["resolveBarcode"]
        return body["resolution"], body["errors"]

    async def start(self, mode: str, document: str = "", location: str = "") -> str:
        body = (await self.call(START, {"m": mode, "n": document, "l": location}))["startScanSession"]
        assert body["errors"] == [], body
        self.session = body["sessionId"]
        return self.session

    async def start_refused(self, mode: str, document: str = "", location: str = "") -> list:
        body = (await self.call(START, {"m": mode, "n": document, "l": location}))["startScanSession"]
        assert body["sessionId"] is None
        return body["errors"]

    async def scan(self, code: str, quantity: str | None = None) -> tuple[dict | None, list]:
        body = (await self.call(SCAN, {"s": self.session, "c": code, "k": self.next_id(), "q": quantity}))["scan"]
        return body["answer"], body["errors"]

    async def ok(self, code: str, quantity: str | None = None) -> dict:
        answer, errors = await self.scan(code, quantity)
        assert errors == [] and answer["ok"], (code, errors)
        return answer

    async def refused(self, code: str, quantity: str | None = None) -> dict:
        """The one error of a refused scan (``code``, ``field``, ``message``)."""
        answer, errors = await self.scan(code, quantity)
        assert answer is None and len(errors) == 1, (code, answer, errors)
        return errors[0]

    async def batch(self, *scans: str | tuple[str, str]) -> list[dict]:
        items = []
        for sc in scans:
            code, qty = (sc, None) if isinstance(sc, str) else sc
            items.append({"code": code, "scanId": self.next_id(), "quantity": qty})
        body = (await self.call(BATCH, {"s": self.session, "scans": items}))["scanBatch"]
        assert body["errors"] == [], body
        return body["results"]

    async def complete(self) -> tuple[str | None, list]:
        body = (await self.call(COMPLETE, {"s": self.session}))["completeScanSession"]
        return body["documentNumber"], body["errors"]
