"""One error vocabulary: every code a domain can raise reaches the API by name, with its messages.

The source of ``server/`` (and of ``schema/``) is read with ``ast``:

* a *raise site* is a construction with a code literal — ``SalesError("OVER_SHIPMENT", …)``,
  ``error_cls("NOT_FOUND", …)``, ``ErrorDetail("REQUIRED", …)``, a collector's ``c.add("WRONG_UNIT", …)``
  or ``c.check(ok, "INVALID_VALUE", …)``, a problem helper's ``return "BAD_CHECK_DIGIT", {…}``; the code
  may be a literal, ``"A" if … else "B"``, or a local variable assigned such a value;
* a site belongs to the domain of its error class; a site with a generic class (``error_cls``,
  ``DomainError``, a collector) belongs to the domain of its module (``server/<domain>/``, or the one
  domain whose class the module raises), and the codes of a shared module (``server/documents/actions.py``,
  ``server/core/master_records.py`` …) reach every domain that imports it; a helper that takes ``error_cls``
  raises in its caller's domain, wherever it lives (``server/auth/scope.py``);
* a domain passes on the errors of the domains in its ``calls`` (``server/<domain>/errors.py``), and
  a domain that imports another's actions must declare it there.

So a domain can raise its own sites' codes, those of the shared modules it imports, and everything
the domains it calls can raise; each must be a value of the domain's GraphQL error enum (the served
schema), and every mutation's action must run with the enum of a domain that can pass its errors on.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest
from graphql import GraphQLEnumType, GraphQLList, GraphQLNonNull, GraphQLObjectType

import schema.errors as api_errors
from schema.schema import schema as served_schema
from server.core import errors as core
from server.core.errors import DomainError, ErrorVocabulary, UnknownErrorCode, load_vocabularies, messages_of

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "server"
SCHEMA = ROOT / "schema"
CODE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,}")
GENERIC_CLASSES = {"DomainError", "ErrorDetail"}
PARAM_CLASSES = {"error_cls", "cls"}  # a helper's parameter: the caller's domain class
REQUEST_ERRORS = {"ApiError", "WebError"}  # request errors: codes with messages, no payload

VOCABULARIES: dict[str, ErrorVocabulary] = load_vocabularies()
ERROR_CLASS: dict[str, ErrorVocabulary] = {}  # "server.sales.errors.SalesError" -> its vocabulary
for _v in VOCABULARIES.values():
    ERROR_CLASS[f"{_v.module}.{_v.name}Error"] = _v
PACKAGE_VOCABULARY = {v.module.rsplit(".", 1)[0]: v for v in VOCABULARIES.values()}  # "server.sales" -> …


def closure(v: ErrorVocabulary) -> set[str]:
    """The names of ``v`` and of every domain it calls, transitively."""
    out = {v.name}
    for called in v.calls:
        out |= closure(called)
    return out


# ---- reading the source --------------------------------------------------------------------------------


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _files(root: Path):
    return [p for p in sorted(root.rglob("*.py")) if "static" not in p.parts]


class Module:
    """The raise sites and the ``server`` imports of one source file."""

    def __init__(self, path: Path):
        self.path = path
        self.name = module_name(path)
        self.tree = ast.parse(path.read_text(), str(path))
        self.bindings: dict[str, str] = {}  # local name -> "module.Name" or "module" (imports)
        self.imports: dict[str, set[str]] = {}  # imported server module -> names taken from it
        self.class_sites: list[tuple[str, str, int]] = []  # (code, "module.ErrorClass", line)
        self.module_sites: list[tuple[str, int]] = []  # generic class: this module's domain
        self.param_sites: list[tuple[str, int]] = []  # error_cls parameter: the caller's domain
        self.request_sites: list[tuple[str, int]] = []
        self.defined = {
            n.name for n in self.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        }
        self._read_imports()
        self._top: str | None = None
        self._raising_tops: set[str] = set()  # top-level functions and classes with a site
        for node in self.tree.body:
            self._top = node.name if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else None
            before = len(self.class_sites) + len(self.module_sites)
            self._read_sites(node, {})
            if self._top and len(self.class_sites) + len(self.module_sites) > before:
                self._raising_tops.add(self._top)

    def raising(self) -> set[str]:
        """Top-level functions and classes that raise in this module's domain, directly or through
        another of this module's functions."""
        out = set(self._raising_tops)
        uses = {
            n.name: {x.id for x in ast.walk(n) if isinstance(x, ast.Name)}
            for n in self.tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        }
        grown = True
        while grown:
            grown = False
            for name, names in uses.items():
                if name not in out and names & out:
                    out.add(name)
                    grown = True
        return out

    def _read_imports(self) -> None:
        package = self.name if self.path.name == "__init__.py" else self.name.rsplit(".", 1)[0]
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + [base]).strip(".")
                if not base.startswith(("server", "schema")):
                    continue
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    self.bindings[alias.asname or alias.name] = target
                    if _is_module(target):  # from server.purchasing import receipts
                        self.imports.setdefault(target, set()).add("*")
                    else:
                        self.imports.setdefault(base, set()).add(alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith(("server", "schema")):
                        self.bindings[alias.asname or alias.name.split(".")[0]] = alias.name
                        self.imports.setdefault(alias.name, set()).add("*")

    def _read_sites(self, node, local_codes: dict[str, set[str]]) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            local_codes = dict(local_codes)
            for sub in ast.walk(node):  # code = "A" if … else "B"
                if isinstance(sub, ast.Assign) and len(sub.targets) == 1 and isinstance(sub.targets[0], ast.Name):
                    codes = literal_codes(sub.value, {})
                    if codes:
                        local_codes.setdefault(sub.targets[0].id, set()).update(codes)
        if isinstance(node, ast.Call):
            self._site(node, local_codes)
        if (
            isinstance(node, ast.Return)
            and isinstance(node.value, ast.Tuple)
            and len(node.value.elts) == 2
            and isinstance(node.value.elts[1], ast.Dict)
        ):  # a problem helper: return (code, params)
            for code in literal_codes(node.value.elts[0], local_codes):
                self.module_sites.append((code, node.lineno))
        for child in ast.iter_child_nodes(node):
            self._read_sites(child, local_codes)

    def _site(self, call: ast.Call, local_codes) -> None:
        func = call.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name is None:
            return
        position = 1 if isinstance(func, ast.Attribute) and name == "check" else 0
        if len(call.args) <= position:
            return
        codes = literal_codes(call.args[position], local_codes)
        if not codes:
            return
        target = self.bindings.get(name) if isinstance(func, ast.Name) else None
        for code in codes:
            if target is not None and _error_class(target) is not None:
                self.class_sites.append((code, _error_class(target), call.lineno))
            elif name in GENERIC_CLASSES or (isinstance(func, ast.Attribute) and name in ("add", "check")):
                self.module_sites.append((code, call.lineno))
            elif name in PARAM_CLASSES:
                self.param_sites.append((code, call.lineno))
            elif name in REQUEST_ERRORS:
                self.request_sites.append((code, call.lineno))

    def error_classes(self) -> set[str]:
        return {cls for _, cls, _ in self.class_sites}


def literal_codes(node, local_codes: dict[str, set[str]]) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.fullmatch(node.value):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return literal_codes(node.body, local_codes) | literal_codes(node.orelse, local_codes)
    if isinstance(node, ast.Name):
        return set(local_codes.get(node.id, ()))
    return set()


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


@cache
def _error_class(target: str) -> str | None:
    """``target`` ("server.sales.errors.SalesError") when it is a domain error class."""
    import importlib

    module, _, name = target.rpartition(".")
    if not module.startswith("server"):
        return None
    try:
        obj = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    if isinstance(obj, type) and issubclass(obj, DomainError) and obj is not DomainError:
        return f"{obj.vocabulary.module}.{obj.__name__}" if obj.vocabulary else None
    return None


@cache
def modules() -> dict[str, Module]:
    return {m.name: m for m in (Module(p) for p in _files(SERVER))}


@cache
def schema_modules() -> dict[str, Module]:
    return {m.name: m for m in (Module(p) for p in _files(SCHEMA))}


def domain_of(m: Module) -> ErrorVocabulary | None:
    """A module's domain: its package's vocabulary, else the one domain whose error class it raises."""
    for package, v in PACKAGE_VOCABULARY.items():
        if m.name == package or m.name.startswith(package + "."):
            return v
    classes = m.error_classes()
    if len(classes) == 1:
        return ERROR_CLASS[classes.pop()]
    return None


def _resolve(target: str) -> Module | None:
    return modules().get(target)


# ---- what each domain can raise --------------------------------------------------------------------------


@cache
def reach() -> dict[str, dict[str, str]]:
    """Per vocabulary name: every code it can raise -> where (first site found), callees included."""
    own: dict[str, dict[str, str]] = {name: {} for name in VOCABULARIES}
    for m in list(modules().values()) + list(schema_modules().values()):
        for code, cls, line in m.class_sites:
            own[ERROR_CLASS[cls].name].setdefault(code, f"{m.name}:{line}")
    for m in modules().values():
        v = domain_of(m)
        if v is None:
            continue
        seen: set[str] = set()
        stack = [m.name]
        while stack:
            current = _resolve(stack.pop())
            if current is None or current.name in seen:
                continue
            seen.add(current.name)
            here = domain_of(current)
            sites = list(current.param_sites)
            if here is None or here is v:  # shared modules and the domain's own: their generic sites
                sites += current.module_sites
            for code, line in sites:
                own[v.name].setdefault(code, f"{current.name}:{line}")
            if current is m or here is None:  # follow shared modules, not other domains (see calls)
                stack.extend(current.imports)
    full: dict[str, dict[str, str]] = {}
    for name, v in VOCABULARIES.items():
        codes: dict[str, str] = {}
        for callee in sorted(closure(v)):
            for code, where in own[callee].items():
                codes.setdefault(code, where if callee == name else f"{where} (via {callee})")
        full[name] = codes
    return full


def test_the_source_has_raise_sites_of_every_domain():
    """The reader finds what it is meant to find (guards the test itself)."""
    found = reach()
    for name in VOCABULARIES:
        assert found[name], f"no raise site found for {name}"
    assert "SERIAL_IN_STOCK" in found["Inventory"] and "OVER_RECEIPT" in found["Purchasing"]
    assert "BAD_CHECK_DIGIT" in found["Catalog"]  # through gtin_problem's (code, params)
    assert "PERMISSION_DENIED" in found["Partner"]  # through scope.require(error_cls)
    assert "DUPLICATE_CODE" in found["Partner"]  # through server/core/master_records.py


def test_every_code_a_domain_can_raise_is_in_its_enum():
    missing = {}
    for name, codes in reach().items():
        members = VOCABULARIES[name].codes.__members__
        lost = {code: where for code, where in codes.items() if code not in members}
        if lost:
            missing[name] = lost
    assert not missing, (
        "codes raised but missing from the domain's vocabulary (declare them in "
        f"server/<domain>/errors.py, or the raising domain in calls=): {missing}"
    )


def test_a_domain_declares_the_domains_whose_actions_it_calls():
    """Importing another domain's function that raises in that domain (not a constant, a table or a
    helper taking ``error_cls``) means its errors come through: the other domain must be in ``calls``."""
    undeclared = []
    for m in modules().values():
        v = domain_of(m)
        if v is None:
            continue
        for target, names in m.imports.items():
            other_module = _resolve(target)
            if other_module is None:
                continue
            other = domain_of(other_module)
            if other is None or other is v or other.name in closure(v) or target.endswith(".errors"):
                continue
            raising = other_module.raising()  # helpers raising with their caller's class do not count
            if raising and ("*" in names or names & raising):
                undeclared.append(
                    f"{m.name} imports {sorted(names)} from {target} ({other.name}) "
                    f"but {v.name} does not call {other.name}"
                )
    assert not undeclared, "\n".join(undeclared)


# ---- the API -----------------------------------------------------------------------------------------------


def _named(t):
    while isinstance(t, (GraphQLNonNull, GraphQLList)):
        t = t.of_type
    return t


def _payload_error_types(t, depth: int = 0, seen=None) -> set[str]:
    """Names of the types in ``errors`` fields of a payload (nested results included)."""
    seen = set() if seen is None else seen
    t = _named(t)
    if not isinstance(t, GraphQLObjectType) or t.name in seen or depth > 3:
        return set()
    seen.add(t.name)
    out = set()
    for fname, field in t.fields.items():
        if fname == "errors":
            out.add(_named(field.type).name)
        elif isinstance(_named(field.type), GraphQLObjectType) and not fname.endswith(("edges", "node")):
            out |= _payload_error_types(field.type, depth + 1, seen)
    return out


GRAPHQL = served_schema._schema
ERROR_TYPE_ENUM = {cls.__name__: codes for codes, cls in api_errors.ERROR_TYPES.items()}
VOCABULARY_OF_ENUM = {v.codes: v for v in VOCABULARIES.values()}


def test_every_payload_error_type_is_generated_from_a_vocabulary():
    assert set(VOCABULARY_OF_ENUM) == set(api_errors.ERROR_TYPES), "one payload error type per vocabulary"
    for codes, cls in api_errors.ERROR_TYPES.items():
        gql_type = GRAPHQL.get_type(cls.__name__)
        assert isinstance(gql_type, GraphQLObjectType), cls.__name__
        enum_type = _named(gql_type.fields["code"].type)
        assert isinstance(enum_type, GraphQLEnumType) and enum_type.name == codes.__name__
        assert set(enum_type.values) == set(codes.__members__), f"{enum_type.name} differs from its vocabulary"


def test_every_mutation_payload_carries_a_generated_error_type():
    mutations = GRAPHQL.mutation_type.fields
    assert len(mutations) > 50
    for name, field in mutations.items():
        for error_type in _payload_error_types(field.type):
            assert error_type in ERROR_TYPE_ENUM, f"{name}: errors of {error_type}, not a generated type"


def test_every_code_reaches_the_api_by_name():
    """The served enum of each payload error type has every code its domain can raise."""
    missing = {}
    for type_name, codes in ERROR_TYPE_ENUM.items():
        v = VOCABULARY_OF_ENUM[codes]
        enum_type = _named(GRAPHQL.get_type(type_name).fields["code"].type)
        lost = {code: where for code, where in reach()[v.name].items() if code not in enum_type.values}
        if lost:
            missing[enum_type.name] = lost
    assert not missing, f"codes that would not reach the API by name: {missing}"


def _schema_action_checks():
    """For each schema call that turns domain errors into payload errors (``run_action``,
    ``to_payload_errors``, ``invalid_id`` and wrappers around them), the enum it uses and the server
    modules its action calls."""
    enums = {codes.__name__: codes for codes in api_errors.ERROR_TYPES}
    for m in schema_modules().values():
        aliases = {local: target.rsplit(".", 1)[-1] for local, target in m.bindings.items()}
        code_names = {local for local, name in aliases.items() if name in enums}
        code_names |= {
            t.id
            for n in ast.walk(m.tree)
            if isinstance(n, ast.Assign)
            and len(n.targets) == 1
            and isinstance(t := n.targets[0], ast.Name)
            and isinstance(n.value, ast.Name)
            and n.value.id in code_names
        }  # CODES = SalesErrorCode
        local_enum = {}
        for n in ast.walk(m.tree):
            if (
                isinstance(n, ast.Assign)
                and len(n.targets) == 1
                and isinstance(n.targets[0], ast.Name)
                and isinstance(n.value, ast.Name)
                and n.value.id in aliases
            ):
                local_enum[n.targets[0].id] = aliases[n.value.id]
        defs = {n.name: n for n in ast.walk(m.tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        wrappers = {}  # a function taking ``action`` that runs it with a fixed enum
        for f in defs.values():
            params = {a.arg for a in f.args.args}
            for call in ast.walk(f):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Name)
                    and call.func.id in ("run_action", "to_payload_errors")
                    and "action" in params
                ):
                    arg = call.args[1]
                    if isinstance(arg, ast.Name) and arg.id in code_names:
                        wrappers[f.name] = local_enum.get(arg.id, aliases.get(arg.id))
        for scope_fn in defs.values():
            for call in ast.walk(scope_fn):
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
                    continue
                if call.func.id == "run_action" and len(call.args) == 3:
                    codes_arg, action = call.args[1], call.args[2]
                    if not (isinstance(codes_arg, ast.Name) and codes_arg.id in code_names):
                        yield m.name, call.lineno, None, set()
                        continue
                    enum_name = local_enum.get(codes_arg.id, aliases.get(codes_arg.id))
                elif call.func.id in wrappers and len(call.args) >= 2:
                    enum_name, action = wrappers[call.func.id], call.args[1]
                else:
                    continue
                body = [action]
                if isinstance(action, ast.Name) and action.id in defs:
                    body = [defs[action.id]]
                called = set()
                for node in (n for b in body for n in ast.walk(b)):
                    if isinstance(node, ast.Call):
                        f = node.func
                        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                            target = m.bindings.get(f.value.id)
                            if target and _is_module(target):
                                called.add(target)
                        elif isinstance(f, ast.Name) and f.id in m.bindings:
                            target = m.bindings[f.id].rsplit(".", 1)[0]
                            if target.startswith("server") and _is_module(target):
                                called.add(target)
                yield m.name, call.lineno, enums[enum_name], called


def test_every_action_runs_with_an_enum_that_can_carry_its_errors():
    """A mutation that runs a domain's action with another domain's enum must be that domain's caller
    (``calls``); the resolvers name their enum (no literal codes lists)."""
    checked, problems = 0, []
    for module, line, codes, called in _schema_action_checks():
        if codes is None:
            problems.append(f"{module}:{line}: run_action without a generated ErrorCode enum")
            continue
        v = VOCABULARY_OF_ENUM[codes]
        for target in called:
            target_module = _resolve(target)
            other = domain_of(target_module) if target_module else None
            if other is not None and other.name not in closure(v):
                problems.append(f"{module}:{line}: {target} ({other.name}) runs with {codes.__name__}")
        checked += 1
    assert checked > 60, checked
    assert not problems, "\n".join(problems)


# ---- messages --------------------------------------------------------------------------------------------


def test_every_code_has_a_chinese_and_an_english_message():
    every = {code for v in VOCABULARIES.values() for code in v.codes.__members__}
    every |= {code for codes in reach().values() for code in codes}
    every |= {code for m in list(modules().values()) + list(schema_modules().values()) for code, _ in m.request_sites}
    assert {"NOT_FOUND", "SERIAL_IN_STOCK", "PAGE_SIZE_TOO_LARGE", "UNKNOWN_BARCODE"} <= every
    for code in sorted(every):
        messages = messages_of(code)
        assert messages is not None, f"{code} has no message"
        zh, en = messages
        assert zh.strip() and en.strip() and zh != en, code
        assert zh == "{rule}" or re.search(r"[\u4e00-\u9fff]", zh), f"{code}: no Chinese in {zh!r}"
        assert re.search(r"[A-Za-z]{2}", en.replace("{", " ").replace("}", " ")), code
        assert not re.search(r"[\u4e00-\u9fff]", en), f"{code}: Chinese in the English message {en!r}"
        for lang in ("zh-CN", "en"):
            assert core.render_message(code, lang, {}).strip()


def test_a_code_cannot_be_declared_without_its_messages_or_twice():
    with pytest.raises(ValueError, match="message"):
        core.error_vocabulary("TestOnlyA", {"TEST_ONLY_CODE": ("只有中文",)})
    with pytest.raises(ValueError, match="already declared"):
        core.error_vocabulary("TestOnlyB", {"SERIAL_IN_STOCK": ("库存", "stock")})
    with pytest.raises(ValueError, match="already declared"):
        core.error_vocabulary("TestOnlyC", {"NOT_FOUND": ("找不到", "not found")})
    with pytest.raises(ValueError, match="SHARED_MESSAGES"):
        core.error_vocabulary("TestOnlyD", {}, shared=("NO_SUCH_SHARED_CODE",))
    assert not {"TestOnlyA", "TestOnlyB", "TestOnlyC", "TestOnlyD"} & set(load_vocabularies())


# ---- to_payload_errors --------------------------------------------------------------------------------------


def test_a_code_outside_the_enum_is_a_loud_programming_error():
    with pytest.raises(UnknownErrorCode, match="NO_SUCH_CODE"):
        api_errors.to_payload_errors(DomainError("NO_SUCH_CODE", "x"), api_errors.CatalogErrorCode, "en")
    scanning_only = DomainError("UNKNOWN_BARCODE", "code", code="123")
    with pytest.raises(UnknownErrorCode, match="UNKNOWN_BARCODE"):
        api_errors.to_payload_errors(scanning_only, api_errors.CatalogErrorCode, "en")


def test_lower_domains_codes_reach_the_scanning_payload_by_name():
    from server.inventory.errors import InventoryError
    from server.purchasing.errors import PurchasingError
    from server.scanning.errors import ScanningError

    wrapped = ScanningError.from_inventory(
        PurchasingError.from_inventory(InventoryError("SERIAL_IN_STOCK", "lines.0.serial", line=1, serial="SN1"))
    )
    [error] = api_errors.to_payload_errors(wrapped, api_errors.ScanningErrorCode, "en")
    assert error.code is api_errors.ScanningErrorCode.SERIAL_IN_STOCK
    assert error.message == "Line 1: serial SN1 is already in stock; a serial can be in only one place."
    [error] = api_errors.to_payload_errors(
        PurchasingError("OVER_RECEIPT", "code", ordered="1", received="1", requested="1", tolerance="0"),
        api_errors.ScanningErrorCode,
        "zh-CN",
    )
    assert error.code.name == "OVER_RECEIPT" and error.message.startswith("超收")
