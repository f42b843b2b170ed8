"""Loading a site map: YAML with line numbers, directory merge, validation.

`load_site_map` reads one YAML file, or every ``*.yaml``/``*.yml`` file of a
directory merged into one map, validates it with the models of
`site_map.model` and the cross-reference checks of `site_map.validate`, and
either returns the map or raises `SiteMapError` carrying *every* problem as
``FILE:LINE: message``. Nothing is returned when anything is wrong.

YAML is parsed safely (PyYAML's safe constructor, on libyaml's parser when
available); the node tree is kept so that each value's line is known.
Duplicate mapping keys are an error (YAML would silently keep the last one,
which hides typos in a ledger of hundreds of cameras). Error messages never
quote the YAML source, so a password on a broken line is not echoed.
"""

from __future__ import annotations

import difflib
import os
import types
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from site_map.credentials import CredentialError, resolve_password
from site_map.model import ID_PATTERN, Credential, SiteMap
from site_map.validate import KNOWN_KINDS, Finding, ModelPath, check_site_map, render_path

__all__ = ["LoadedSiteMap", "Problem", "SiteMapError", "load_site_map"]

# Sections of the file format, by how a directory of files is merged.
LIST_SECTIONS = ("campuses", "sites", "cameras", "nvrs")  # concatenated
ROAD_LISTS = ("nodes", "edges")  # roads.nodes and roads.edges: concatenated
MAP_SECTIONS = ("credentials", "categories")  # merged; a key in two files is an error
SCALAR_KEYS = ("school", "retention_days", "targets")  # set in one file (or identically)
_TOP_KEYS = (*SCALAR_KEYS, *LIST_SECTIONS, *MAP_SECTIONS, "roads")

# What the entries of each list or mapping are called in messages.
_ENTRY_LABELS: dict[tuple[str, ...], str] = {
    ("campuses",): "campus",
    ("sites",): "site",
    ("cameras",): "camera",
    ("nvrs",): "nvr",
    ("roads", "nodes"): "road node",
    ("roads", "edges"): "road edge",
    ("credentials",): "credentials",
    ("categories",): "category",
}
# Which kind of name (see site_map.validate.KNOWN_KINDS) each section defines.
_KNOWN_KIND: dict[tuple[str, ...], str] = {
    ("campuses",): "campus",
    ("sites",): "site",
    ("nvrs",): "nvr",
    ("roads", "nodes"): "road_node",
    ("credentials",): "credentials",
    ("categories",): "category",
}
_ENV_PATTERN = next(
    (
        getattr(meta, "pattern", None)
        for meta in Credential.model_fields["password_env"].metadata
        if getattr(meta, "pattern", None)
    ),
    None,
)
_LIST_MESSAGE = "Input should be a list"
_MAPPING_MESSAGE = "Input should be a mapping"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAX_NODES = 1_000_000  # guards against alias bombs ("billion laughs")

RawPath = tuple[Hashable, ...]


@dataclass(frozen=True)
class Problem:
    """One problem (or warning) in a site map, located as precisely as known."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"


class SiteMapError(Exception):
    """The site map cannot be used; `problems` lists every reason found."""

    def __init__(self, problems: Iterable[Problem], warnings: Iterable[Problem] = ()) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.warnings: tuple[Problem, ...] = tuple(warnings)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class LoadedSiteMap:
    """A valid site map with where it came from and what was odd about it."""

    site_map: SiteMap
    base_dir: Path
    sources: tuple[Path, ...]
    warnings: tuple[Problem, ...] = ()
    # The environment password_env variables are read from (None: os.environ).
    # Never shown: it may hold passwords.
    environ: Mapping[str, str] | None = field(default=None, repr=False, compare=False)

    def password(self, credentials_id: str) -> str:
        """The password of a credential, read from its source now.

        Raises `site_map.credentials.CredentialError` (whose message names no
        secret) when the credential is unknown or its source cannot be read.
        """
        credential = self.site_map.credentials.get(credentials_id)
        if credential is None:
            raise CredentialError(f"unknown credentials '{credentials_id}'")
        env = None if self.environ is None else dict(self.environ)
        return resolve_password(credentials_id, credential, self.base_dir, env)


# --------------------------------------------------------------------------- YAML


class _DuplicateKeyConstructor(yaml.constructor.SafeConstructor):
    """Records duplicate mapping keys instead of silently keeping the last one."""

    duplicate_keys: list[tuple[int, Hashable, int]]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: dict[Hashable, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, Hashable):
                continue
            if key in seen:
                self.duplicate_keys.append((line, key, seen[key]))
            else:
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


class _PyLineLoader(_DuplicateKeyConstructor, yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys = []


class _Loader(Protocol):
    duplicate_keys: list[tuple[int, Hashable, int]]

    def get_single_node(self) -> yaml.Node | None: ...
    def construct_document(self, node: yaml.Node) -> Any: ...
    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any: ...
    def dispose(self) -> None: ...


# The loader in use: libyaml's parser when PyYAML has it (about ten times
# faster), else the pure-Python one. Their syntax-error wording differs.
_LOADER: Callable[[str], _Loader] = _PyLineLoader
if yaml.__with_libyaml__:

    class _CLineLoader(_DuplicateKeyConstructor, yaml.CSafeLoader):
        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.duplicate_keys = []

    _LOADER = _CLineLoader


@dataclass
class _Document:
    display: str  # file name as shown in messages
    path: Path
    data: Any
    lines: dict[RawPath, int]  # path of a value -> line of its key or list item


class _Walker:
    """Records the line of every mapping key and sequence item of a node tree.

    A node reached again through an alias is not walked again: problems inside
    it are reported at the line of the alias (or of the key it was merged into).
    """

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.lines: dict[RawPath, int] = {}
        self.walked: set[int] = set()

    def walk(self, node: yaml.Node, path: RawPath) -> None:
        if id(node) in self.walked:
            return
        self.walked.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, Hashable):
                    continue
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                self.walk(value_node, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.lines[(*path, index)] = item.start_mark.line + 1
                self.walk(item, (*path, index))


class _TooLarge(Exception):
    pass


def _check_size(root: yaml.Node) -> None:
    """Refuse recursive aliases and documents that aliases blow up beyond `_MAX_NODES`."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise _TooLarge("an alias refers to a node that contains it")
        open_nodes.add(key)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        total = 1 + sum(size(child) for child in children)
        open_nodes.discard(key)
        if total > _MAX_NODES:
            raise _TooLarge(f"more than {_MAX_NODES:,} values once aliases are expanded")
        sizes[key] = total
        return total

    size(root)


def _yaml_problem(display: str, text: str, exc: yaml.YAMLError) -> Problem:
    """A YAML error as one problem, without the source snippet (it may hold a secret)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        context = exc.context
        if context and exc.context_mark and exc.context_mark.line + 1 != line:
            context += f" (started on line {exc.context_mark.line + 1})"
        reason = ": ".join(p for p in (context, exc.problem) if p) or "cannot be parsed"
        return Problem(display, line, f"invalid YAML: {reason}")
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        return Problem(display, line, f"invalid YAML: unacceptable character #x{exc.character:04x}")
    return Problem(display, None, "invalid YAML")


def _parse(display: str, path: Path) -> tuple[_Document | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return None, [Problem(display, None, "cannot read: not UTF-8 text")]
    except OSError as exc:
        return None, [Problem(display, None, f"cannot read: {exc.strerror or exc}")]
    try:
        loader = _LOADER(text)
    except yaml.YAMLError as exc:  # the reader refuses control characters up front
        return None, [_yaml_problem(display, text, exc)]
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_size(node)
        data = loader.construct_document(node) if node is not None else None
        walker = _Walker(loader)
        if node is not None:
            walker.walk(node, ())
            walker.lines[()] = node.start_mark.line + 1
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(display, text, exc)]
    except _TooLarge as exc:
        return None, [Problem(display, None, f"invalid YAML: {exc}")]
    except RecursionError:
        return None, [Problem(display, None, "invalid YAML: nested too deeply")]
    finally:
        loader.dispose()
    if loader.duplicate_keys:
        return None, [
            Problem(display, line, f"duplicate key '{key}' (first on line {first})")
            for line, key, first in loader.duplicate_keys
        ]
    return _Document(display, path, data, walker.lines), []


# -------------------------------------------------------------------------- merge


@dataclass
class _Merged:
    """The merged raw data and where each part of it came from."""

    docs: list[_Document]
    root_display: str
    data: dict[str, Any] = field(default_factory=dict)
    # ("sites",) or ("roads", "nodes") -> per merged entry: (document, index in it)
    list_origin: dict[tuple[str, ...], list[tuple[int, int]]] = field(default_factory=dict)
    # ("credentials",) -> key -> document
    key_origin: dict[tuple[str, ...], dict[Hashable, int]] = field(default_factory=dict)
    # top-level key -> first document that has it
    top_origin: dict[str, int] = field(default_factory=dict)
    problems: list[tuple[int, Problem]] = field(default_factory=list)

    def report(self, doc_index: int, raw_path: RawPath, message: str) -> None:
        self.problems.append((doc_index, self.problem_at(doc_index, raw_path, message)))

    def problem_at(self, doc_index: int | None, raw_path: RawPath, message: str) -> Problem:
        if doc_index is None:
            return Problem(self.root_display, None, message)
        doc = self.docs[doc_index]
        for end in range(len(raw_path), 0, -1):
            line = doc.lines.get(raw_path[:end])
            if line is not None:
                return Problem(doc.display, line, message)
        return Problem(doc.display, None, message)

    def origin(self, path: RawPath) -> tuple[int | None, RawPath]:
        """The document and the path inside it of a path into the merged data."""
        if not path or not isinstance(path[0], str):
            return None, path
        for section, entries in self.list_origin.items():
            n = len(section)
            index = path[n] if path[:n] == section and len(path) > n else None
            if isinstance(index, int) and 0 <= index < len(entries):
                doc_index, raw_index = entries[index]
                return doc_index, (*section, raw_index, *path[n + 1 :])
        head = path[0]
        if len(path) > 1 and (head,) in self.key_origin:
            doc_of_key = self.key_origin[(head,)].get(path[1])
            if doc_of_key is not None:
                return doc_of_key, path
        return self.top_origin.get(head), path

    def locate(self, path: RawPath, message: str) -> tuple[int, Problem]:
        doc_index, raw_path = self.origin(path)
        problem = self.problem_at(doc_index, raw_path, message)
        return (-1 if doc_index is None else doc_index), problem

    def where(self, path: RawPath) -> str:
        problem = self.locate(path, "")[1]
        return problem.file if problem.line is None else f"{problem.file}:{problem.line}"


def _merge(docs: list[_Document], root_display: str) -> _Merged:
    merged = _Merged(docs, root_display)
    for doc_index, doc in enumerate(docs):
        for key, value in doc.data.items():
            if isinstance(key, str) and key not in merged.top_origin:
                merged.top_origin[key] = doc_index
            if key in LIST_SECTIONS:
                _merge_list(merged, doc_index, (key,), value)
            elif key == "roads":
                if value is None:
                    continue
                if not isinstance(value, dict):
                    merged.report(doc_index, (key,), f"roads: {_MAPPING_MESSAGE}")
                    continue
                merged.data.setdefault("roads", {})
                for sub, sub_value in value.items():
                    if sub in ROAD_LISTS:
                        _merge_list(merged, doc_index, ("roads", sub), sub_value)
                    else:
                        unknown = _unknown_field(sub, ROAD_LISTS)
                        merged.report(doc_index, (key, sub), f"roads.{sub}: {unknown}")
            elif key in MAP_SECTIONS:
                _merge_mapping(merged, doc_index, key, value)
            elif key in SCALAR_KEYS:
                if key not in merged.data:
                    merged.data[key] = value
                elif merged.data[key] != value:
                    merged.report(
                        doc_index,
                        (key,),
                        f"{key}: also set in {merged.where((key,))}, to a different value "
                        "(set it in one file only)",
                    )
            else:
                merged.report(doc_index, (key,), f"{key}: {_unknown_field(key, _TOP_KEYS)}")
    return merged


def _merge_list(merged: _Merged, doc_index: int, section: tuple[str, ...], value: Any) -> None:
    if value is None:  # an empty section, e.g. "cameras:" with nothing under it yet
        return
    if not isinstance(value, list):
        merged.report(doc_index, section, f"{'.'.join(section)}: {_LIST_MESSAGE}")
        return
    container = merged.data
    for part in section[:-1]:
        container = container.setdefault(part, {})
    container.setdefault(section[-1], []).extend(value)
    merged.list_origin.setdefault(section, []).extend(
        (doc_index, raw_index) for raw_index in range(len(value))
    )


def _merge_mapping(merged: _Merged, doc_index: int, key: str, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        merged.report(doc_index, (key,), f"{key}: {_MAPPING_MESSAGE}")
        return
    target = merged.data.setdefault(key, {})
    origin = merged.key_origin.setdefault((key,), {})
    label = _ENTRY_LABELS[(key,)]
    for name, entry in value.items():
        if name in target:
            merged.report(
                doc_index,
                (key, name),
                f"{label} '{name}': also defined in {merged.where((key, name))} "
                "(define it in one file only)",
            )
        else:
            target[name] = entry
            origin[name] = doc_index


def _unknown_field(name: Hashable, fields: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(name), list(fields), n=1, cutoff=0.75)
    return f"unknown field (did you mean '{close[0]}'?)" if close else "unknown field"


# ---------------------------------------------------------------- pydantic errors


def _unwrap(annotation: Any) -> list[Any]:
    """The alternatives of a union (``X | None`` -> ``[X, None]``), else ``[annotation]``."""
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return list(get_args(annotation))
    return [annotation]


def _as_model(annotation: Any) -> type[BaseModel] | None:
    for option in _unwrap(annotation):
        if isinstance(option, type) and issubclass(option, BaseModel):
            return option
    return None


def _fields_at(loc: RawPath) -> list[str]:
    """Field names (aliases where set) of the model found at `loc`, for suggestions."""
    current: Any = SiteMap
    for part in loc:
        model = _as_model(current)
        if model is not None and isinstance(part, str):
            fields = {info.alias or name: info for name, info in model.model_fields.items()}
            if part not in fields:
                return []
            current = fields[part].annotation
            continue
        container = next((o for o in _unwrap(current) if get_origin(o) in (tuple, dict)), None)
        if container is None:
            return []
        current = get_args(container)[-1 if get_origin(container) is dict else 0]
    model = _as_model(current)
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _section_of(loc: RawPath) -> tuple[str, ...] | None:
    for section in _ENTRY_LABELS:
        if loc[: len(section)] == section and len(loc) > len(section):
            return section
    return None


def _lookup(data: Any, path: RawPath) -> Any:
    for part in path:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if not (in_dict or in_list):
            return None
        data = data[part]
    return data


def _entry_name(merged: _Merged, section: tuple[str, ...], key: Hashable) -> str:
    label = _ENTRY_LABELS[section]
    if section in (("credentials",), ("categories",)):
        return f"{label} '{key}'"
    entry = _lookup(merged.data, (*section, key))
    if isinstance(entry, dict):
        if section == ("roads", "edges"):
            ends = entry.get("from"), entry.get("to")
            if all(isinstance(end, str | int) for end in ends):
                return f"{label} '{ends[0]}' -> '{ends[1]}'"
        else:
            ident = entry.get("id")
            if isinstance(ident, str | int) and not isinstance(ident, bool):
                return f"{label} '{str(ident).strip()}'"
    # No usable id: number it within its own file.
    raw_index = merged.list_origin[section][key][1] if isinstance(key, int) else key
    return f"{label} #{raw_index + 1}" if isinstance(raw_index, int) else label


def _pydantic_message(merged: _Merged, error: Mapping[str, Any]) -> str:
    kind = error["type"]
    message = str(error["msg"])
    loc: RawPath = tuple(error["loc"])
    if kind == "extra_forbidden":
        return _unknown_field(loc[-1], _fields_at(loc[:-1]))
    if kind == "string_type" and loc[:1] != ("credentials",):
        value = _lookup(merged.data, loc)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f'{value} is read as a number here; write it in quotes ("{value}")'
    if kind in ("tuple_type", "list_type"):
        return _LIST_MESSAGE
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _MAPPING_MESSAGE
    if kind == "too_short":
        least = (error.get("ctx") or {}).get("min_length", 1)
        return f"needs at least {least} {'entry' if least == 1 else 'entries'}"
    if kind == "string_pattern_mismatch":
        pattern = (error.get("ctx") or {}).get("pattern")
        value = _lookup(merged.data, loc)
        if not isinstance(value, str) and loc and loc[-1] == "[key]":
            value = loc[-2]
        # Values under credentials are never shown: a password may have been
        # written where a variable name belongs.
        secret = loc[:1] == ("credentials",) and loc[-1] != "[key]"
        shown = f"'{value.strip()}' " if isinstance(value, str) and not secret else ""
        if pattern == ID_PATTERN:
            return (
                f"{shown}is not a valid id (use up to 128 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit)"
            )
        if pattern == _ENV_PATTERN:
            return (
                "not a valid environment variable name (password_env names the variable "
                "that holds the password, not the password itself)"
            )
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _translate(merged: _Merged, error: Mapping[str, Any]) -> tuple[int, Problem]:
    loc: RawPath = tuple(error["loc"])
    parts: list[str] = []
    section = _section_of(loc)
    rest: RawPath = loc
    if section is not None:
        parts.append(_entry_name(merged, section, loc[len(section)]))
        rest = loc[len(section) + 1 :]
    rest = tuple(part for part in rest if part != "[key]")
    if rest:
        parts.append(render_path(tuple(str(p) if not isinstance(p, int) else p for p in rest)))
    parts.append(_pydantic_message(merged, error))
    located = loc[:-1] if loc and loc[-1] == "[key]" else loc
    return merged.locate(located, ": ".join(parts))


# ----------------------------------------------------------------------- salvage


@dataclass
class _Salvage:
    """The valid part of a map that failed validation, for the cross-reference checks."""

    data: dict[str, Any]
    kept: dict[tuple[str, ...], list[int]]  # section -> merged index of each kept entry
    known: dict[str, set[str]]


def _salvage(merged: _Merged, errors: Sequence[Mapping[str, Any]]) -> _Salvage:
    """Drop every entry with an error so the rest can still be cross-checked.

    The names of dropped entries are kept as `known` so that references to
    them are not reported again as dangling.
    """
    bad: dict[tuple[str, ...], set[Hashable]] = {}
    top: set[str] = set()
    for error in errors:
        loc: RawPath = tuple(error["loc"])
        section = _section_of(loc)
        if section is not None:
            bad.setdefault(section, set()).add(loc[len(section)])
        elif loc and isinstance(loc[0], str):
            top.add(loc[0])
    data = dict(merged.data)
    kept: dict[tuple[str, ...], list[int]] = {}
    known: dict[str, set[str]] = {kind: set() for kind in KNOWN_KINDS}
    for section in _ENTRY_LABELS:
        value = _lookup(merged.data, section)
        dropped = bad.get(section, set())
        kind = _KNOWN_KIND.get(section)
        if isinstance(value, list):
            kept[section] = [i for i in range(len(value)) if i not in dropped]
            entries = [value[i] for i in kept[section]]
            if section[0] == "roads":
                data["roads"] = {**data.get("roads", {}), section[1]: entries}
            else:
                data[section[0]] = entries
            gone = [
                value[i].get("id")
                for i in dropped
                if isinstance(i, int) and 0 <= i < len(value) and isinstance(value[i], dict)
            ]
        elif isinstance(value, dict):
            data[section[0]] = {k: v for k, v in value.items() if k not in dropped}
            gone = list(dropped)
        else:
            continue
        if kind is not None:
            known[kind].update(str(name).strip() for name in gone if isinstance(name, str | int))
    for key in top:
        if key == "school":
            data["school"] = "?"
        elif key not in LIST_SECTIONS:
            data.pop(key, None)
    return _Salvage(data, kept, known)


def _to_merged_path(path: ModelPath, kept: Mapping[tuple[str, ...], list[int]]) -> RawPath:
    for section, indices in kept.items():
        n = len(section)
        index = path[n] if path[:n] == section and len(path) > n else None
        if isinstance(index, int):
            return (*section, indices[index], *path[n + 1 :])
    return path


# -------------------------------------------------------------------------- load


def _sources(path: Path, display: str) -> tuple[list[tuple[str, Path]], list[Problem]]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            return [], [Problem(display, None, "no *.yaml or *.yml files in this directory")]
        return [(os.path.join(display, p.name), p) for p in files], []
    if not path.exists():
        return [], [Problem(display, None, "cannot read: no such file or directory")]
    return [(display, path)], []


def load_site_map(path: str | Path, *, environ: Mapping[str, str] | None = None) -> LoadedSiteMap:
    """Load and validate a site map file or directory; raise `SiteMapError` if it is bad.

    `environ` (default `os.environ`) is where `password_env` variables are
    checked and later read from by `LoadedSiteMap.password`.
    """
    given = Path(path)
    display = str(path)
    files, problems = _sources(given, display)
    if problems:
        raise SiteMapError(problems)
    is_dir = given.is_dir()
    base_dir = given.absolute() if is_dir else given.absolute().parent

    docs: list[_Document] = []
    found: list[tuple[int, Problem]] = []
    warnings: list[tuple[int, Problem]] = []
    # While every file parses, a file's position in `files` is its index in `docs`.
    for file_index, (name, file) in enumerate(files):
        doc, doc_problems = _parse(name, file)
        if doc is None:
            found += [(file_index, p) for p in doc_problems]
            continue
        if doc.data is None and is_dir:
            warnings.append((file_index, Problem(name, None, "file is empty")))
            doc.data = {}
        if not isinstance(doc.data, dict):
            line = doc.lines.get(())
            got = "an empty file" if doc.data is None else f"a {_kind_of(doc.data)}"
            found.append(
                (
                    file_index,
                    Problem(
                        name,
                        line,
                        f"the top level must be a mapping (school:, sites:, ...), not {got}",
                    ),
                )
            )
            continue
        docs.append(doc)
    if found:
        raise SiteMapError(_ordered(found), _ordered(warnings))

    merged = _merge(docs, display)
    found += merged.problems
    environ_used = os.environ if environ is None else environ

    site_map: SiteMap | None = None
    salvage: _Salvage
    try:
        site_map = SiteMap.model_validate(merged.data)
        salvage = _salvage(merged, [])
        checked: SiteMap | None = site_map
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        found += [_translate(merged, error) for error in errors]
        salvage = _salvage(merged, errors)
        try:
            checked = SiteMap.model_validate(salvage.data)
        except ValidationError:
            checked = None  # too broken to cross-check; the errors above say why

    if checked is not None:

        def where(model_path: ModelPath) -> str:
            return merged.where(_to_merged_path(model_path, salvage.kept))

        findings = check_site_map(
            checked, base_dir=base_dir, environ=environ_used, known=salvage.known, where=where
        )
        for finding in findings:
            item = _locate_finding(merged, salvage, finding)
            (warnings if finding.warning else found).append(item)

    if found or site_map is None:
        raise SiteMapError(_ordered(found), _ordered(warnings))
    return LoadedSiteMap(
        site_map=site_map,
        base_dir=base_dir,
        sources=tuple(file.absolute() for _, file in files),
        warnings=_ordered(warnings),
        environ=environ,
    )


def _locate_finding(merged: _Merged, salvage: _Salvage, finding: Finding) -> tuple[int, Problem]:
    return merged.locate(_to_merged_path(finding.path, salvage.kept), finding.message)


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def _ordered(items: Iterable[tuple[int, Problem]]) -> tuple[Problem, ...]:
    """Problems by file (in load order), then line; stable otherwise."""

    def key(item: tuple[int, Problem]) -> tuple[int, int]:
        return item[0], item[1].line or 0

    return tuple(problem for _, problem in sorted(items, key=key))
