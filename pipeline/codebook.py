"""Codebooks: YAML files of themes and codes, validated on load with line-accurate errors.

A codebook is data, not code. ``load_codebook`` reports every problem it finds at once (file,
line, what, how to fix) as an ``InvalidCodebook`` error, so a researcher fixes them in one pass.

Pattern syntax (``patterns`` and ``exclude_patterns`` of a code). A pattern is a string of
space-separated tokens, matched against consecutive tokens of a segment:

- ``vertrouwen``: a word, matched on its lemma (so it also finds "vertrouwde", "vertrouwt");
- ``afspraak|contract``: any of these words;
- ``re:huur.*contract``: a regular expression that must match a token's lower-case text in
  full; this is how Dutch compounds are caught ("huurcontract", "huurcontracten");
- ``*``: one optional token of any kind (``afspraak * nakomen``).

A pattern may also be written as a mapping to set a weight in (0, 1] (how much a single match
says, default 1.0) or an intrinsic polarity (``wantrouwen`` is negative trust)::

    - {pattern: "wantrouwen", polarity: negative}
    - {pattern: "re:.*ondernemer.*", weight: 0.4}
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.errors import InvalidCodebook, Problem

ID_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
ID_FIX = "use lower-case letters, digits, '_' and '.', starting with a letter (e.g. trust.reciprocity)"


class Pattern(BaseModel):
    """One lexical pattern; see the module docstring for the token syntax."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: str = Field(min_length=1)
    weight: float = Field(default=1.0, gt=0.0, le=1.0)
    polarity: Literal["positive", "negative"] = "positive"

    @field_validator("pattern")
    @classmethod
    def _check_tokens(cls, value: str) -> str:
        parse_pattern(value)
        return value


class Code(BaseModel):
    """A code: the smallest label a segment can get."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    label: str = Field(min_length=1)
    definition: str = Field(min_length=1)
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    patterns: list[Pattern] = Field(default_factory=list)
    exclude_patterns: list[Pattern] = Field(default_factory=list)
    parent: str | None = None

    @field_validator("patterns", "exclude_patterns", mode="before")
    @classmethod
    def _strings_are_patterns(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"pattern": v} if isinstance(v, str) else v for v in value]
        return value


class Theme(BaseModel):
    """A theme groups codes (trust, temporality, roles...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    label: str = Field(min_length=1)
    definition: str = Field(min_length=1)
    codes: list[Code] = Field(min_length=1)


class Codebook(BaseModel):
    """A validated codebook. Build it with ``load_codebook``, which adds the cross-checks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    label: str
    version: str
    language: str = "nl"
    description: str = ""
    themes: list[Theme] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, (int, float)) else value

    @property
    def codes(self) -> list[Code]:
        """All codes in file order."""
        return [code for theme in self.themes for code in theme.codes]

    def theme_of(self) -> dict[str, str]:
        """Map code id -> theme id."""
        return {code.id: theme.id for theme in self.themes for code in theme.codes}

    def sha256(self) -> str:
        """Content hash of the parsed codebook: the same meaning gives the same hash."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_pattern(pattern: str) -> list[dict[str, Any]]:
    """Turn a pattern string into spaCy Matcher token dicts (words still unlemmatised).

    Word tokens come back as ``{"LEMMA": {"IN": [words]}}`` with the raw lower-cased words; the
    tagger adds their lemmas, so that pattern and text go through the same lemmatiser.

    Raises:
        ValueError: The pattern is empty, only wildcards, or holds an invalid regex.
    """
    tokens = pattern.split()
    if not tokens or all(t == "*" for t in tokens):
        raise ValueError(f"pattern {pattern!r} has no word to match")
    spec: list[dict[str, Any]] = []
    for token in tokens:
        if token == "*":
            spec.append({"OP": "?"})
        elif token.startswith("re:"):
            body = token[3:]
            if not body:
                raise ValueError(f"pattern {pattern!r}: 're:' needs an expression after it")
            if "|re:" in body:
                # "re:a|re:b" is one regex whose second branch must literally read "re:b": it
                # never matches, silently. Alternatives belong inside one expression.
                raise ValueError(f"pattern {pattern!r}: write alternatives inside one regex, "
                                 f"'re:(a|b)', not 're:a|re:b'")
            try:
                re.compile(body)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r}: invalid regular expression {body!r} ({exc})") from None
            spec.append({"LOWER": {"REGEX": f"^(?:{body})$"}})
        else:
            words = [w for w in token.lower().split("|") if w]
            if not words:
                raise ValueError(f"pattern {pattern!r}: empty alternative in {token!r}")
            if any(w.startswith("re:") for w in words):
                raise ValueError(f"pattern {pattern!r}: a word list cannot hold a regex ({token!r}); "
                                 f"write the words inside the regex, 're:(word|other)'")
            spec.append({"LEMMA": {"IN": words}})
    return spec


# --- loading with line numbers -------------------------------------------------------------


def _node_at(node: yaml.Node | None, loc: tuple[Any, ...]) -> yaml.Node | None:
    """Walk a composed YAML node tree along a pydantic error location."""
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            found = None
            for k, v in node.value:
                if k.value == key:
                    found = v
                    break
            if found is None:
                return node
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            return node
    return node


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _fix_for(error_type: str, field: str) -> str:
    fixes = {
        "missing": f"add the '{field}' field",
        "extra_forbidden": f"remove '{field}' or check its spelling (allowed fields: see README, 'Codebook format')",
        "string_too_short": f"give '{field}' a non-empty value",
        "too_short": f"give '{field}' at least one entry",
        "greater_than": "use a weight above 0 and at most 1",
        "less_than_equal": "use a weight above 0 and at most 1",
        "literal_error": "use 'positive' or 'negative'",
        "value_error": "correct the pattern (see 'Pattern syntax' in the README)",
    }
    return fixes.get(error_type, f"correct the value of '{field}'")


def _cross_check(book: Codebook, root: yaml.Node, path: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int | None] = {}
    code_ids = {code.id for code in book.codes}

    def check_id(value: str, loc: tuple[Any, ...], kind: str) -> None:
        line = _line(_node_at(root, loc + ("id",)))
        if not ID_RE.match(value):
            problems.append(Problem(path, line, f"{kind} id {value!r} is not a valid id", ID_FIX))
        if value in seen:
            first = seen[value]
            problems.append(
                Problem(path, line, f"duplicate id {value!r} (first used on line {first})",
                        "give every theme and code its own id")
            )
        else:
            seen[value] = line

    check_id(book.id, (), "codebook")
    for t_i, theme in enumerate(book.themes):
        check_id(theme.id, ("themes", t_i), "theme")
        for c_i, code in enumerate(theme.codes):
            loc = ("themes", t_i, "codes", c_i)
            check_id(code.id, loc, "code")
            if code.parent is not None and code.parent not in code_ids:
                problems.append(
                    Problem(path, _line(_node_at(root, loc + ("parent",))),
                            f"code {code.id!r} has unknown parent {code.parent!r}",
                            "use the id of a code in this codebook, or remove 'parent'")
                )
            if code.parent == code.id:
                problems.append(
                    Problem(path, _line(_node_at(root, loc + ("parent",))),
                            f"code {code.id!r} is its own parent", "remove 'parent' or point it at another code")
                )
    return problems


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate a YAML codebook.

    Args:
        path: The YAML file.

    Returns:
        The validated codebook.

    Raises:
        InvalidCodebook: With one ``Problem`` per issue found (file, line, what, how to fix).
    """
    path = Path(path)
    shown = str(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidCodebook([Problem(shown, None, "file not found", "check the path to the codebook")]) from None
    except UnicodeDecodeError as exc:
        raise InvalidCodebook([Problem(shown, None, f"not UTF-8 text ({exc.reason})",
                                       "save the codebook as UTF-8")]) from None
    # One parse gives both the node tree (for line numbers) and the data; libyaml when present.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(raw)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = f"invalid YAML: {getattr(exc, 'problem', None) or exc}"
        raise InvalidCodebook([Problem(shown, line, what,
                                       "check indentation, colons and quotes around this line")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise InvalidCodebook([Problem(shown, 1, "the codebook must be a mapping with 'id', 'label', 'version' and 'themes'",
                                       "start from codebooks/wijkeconomie.yaml")])
    try:
        book = Codebook.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            field = str(next((k for k in reversed(loc) if isinstance(k, str)), "value"))
            node = _node_at(root, loc)
            what = err["msg"]
            if err["type"] == "value_error":
                what = what.removeprefix("Value error, ")
            where = ".".join(str(k) for k in loc)
            problems.append(Problem(shown, _line(node), f"{where}: {what}", _fix_for(err["type"], field)))
        raise InvalidCodebook(problems) from None
    problems = _cross_check(book, root, shown)
    if problems:
        raise InvalidCodebook(problems)
    return book
