"""Import Hugging Face model cards as lineage data: the engine of ``lineage import hf``.

Two inputs give the same graph for the same metadata:

- a folder of model repositories, ``PATH/<owner>/<name>/README.md``: the repo id is the two folder
  names, the metadata is the README's YAML front matter, and the repository's files (adapter
  weights, GGUF files) help tell what kind of derivation it is;
- a ``.jsonl`` file (one record a line) or a ``.json`` file (a list of records, or one) shaped as
  the Hub API returns models: ``id``, ``author``, ``createdAt``, ``lastModified``,
  ``pipeline_tag``, ``library_name``, ``tags``, ``siblings`` (``[{"rfilename": …}]``) and
  ``cardData`` (the front matter).

Read from the metadata: ``base_model`` (one repo id or a list), ``base_model_relation``,
``license`` (with ``license_name`` and ``license_link`` for ``other``), ``pipeline_tag``,
``library_name``, the author and the dates. The result is one document, an ``owl:Ontology`` that
imports the lineage ontology (like ``data/*.ttl``), to be checked and served as an extra data file
(``lineage check FILE``): Turtle to read, or the same triples as N-Triples, one a line, which
``lineage bigbuild`` reads with a plain split of each line.

IRIs, under ``https://w3id.org/model-lineage/``, with the repo id in lower case (the Hub treats ids
case-insensitively; ``lin:modelId`` keeps the id as written, so an IRI maps back to its Hub page):

- ``model/hf/<owner>/<name>``; a Hub id that a curated model carries as ``lin:modelId`` is that
  curated model instead (``meta-llama/Llama-2-7b-hf`` is ``model/llama-2-7b``);
- ``source/hf/<owner>/<name>``, the card: a ``lin:ModelCard`` at ``https://huggingface.co/<id>``;
- ``org/hf/<owner>``, the Hub namespace (user or organisation) that publishes the card;
- ``claim/hf/<owner>/<name>/base/<base owner>/<base name>`` and ``…/license/<licence id>``;
- ``license/<licence id>``, the Hub's licence id (the SPDX id in lower case where there is one;
  for ``license: other``, ``license_name`` made a slug, else ``other``);
- ``graph/import/hf-<name>``, the document.

Every edge is backed by a lineage claim that cites the card, quotes the metadata as YAML
(``base_model: meta-llama/Llama-2-7b-hf``) and is in the default lineage. When the card gives no
``base_model_relation``, it is inferred as the Hub says it does (it publishes the signs, not exact
rules): several base models make a merge; adapter
files (``adapter_config.json``, ``adapter_model.safetensors`` or ``.bin``) an adapter; a
quantisation format (a ``.gguf`` file; ``gguf``, ``gptq``, ``awq``, ``exl2``, ``exl3`` in the tags
or as a word of the repo name; a ``4-bit`` or ``8-bit`` tag) a quantisation; else a fine-tune. An
inferred kind makes the claim's confidence medium, with a note saying why.

A bad card (broken YAML or JSON, no usable repo id, a ``base_model`` that is not a repo id, the model
as its own base, an unknown ``base_model_relation``, a relation without a base, a repo seen twice)
is reported with its place and reason and skipped; a field that cannot be read (a licence,
pipeline tag or date of the wrong form) is reported as a warning and left out.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import yaml
from rdflib import RDF, Graph, URIRef
from tqdm import tqdm

from lineage.bigbuild.facts import RDF_TYPE
from lineage.build import Inputs, parse_turtle
from lineage.namespaces import BASE, LICENSE, LIN, MODEL, ONTOLOGY_IRI

HUB = "https://huggingface.co/"
RELATIONS = {"finetune": "fineTunedFrom", "adapter": "adapterOf", "quantized": "quantizedFrom", "merge": "mergedFrom"}
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin")
QUANT_WORDS = frozenset({"gguf", "gptq", "awq", "exl2", "exl3", "nf4", "bnb"})
QUANT_TAGS = QUANT_WORDS | {"4-bit", "8-bit", "bitsandbytes"}
QUANT_FILES = ("quantize_config.json", "quant_config.json")  # AutoGPTQ, AutoAWQ
MERGE_TAGS = frozenset({"mergekit", "lazymergekit"})
MERGE_FILES = ("mergekit_config.yml", "mergekit_config.yaml")
NOT_FOUND = "Entry not found"  # what the Hub serves, with a 404, for a file that is not there
LOCAL_OWNERS = frozenset(
    {
        "output",
        "outputs",
        "checkpoints",
        "checkpoint",
        "models",
        "model",
        "content",
        "home",
        "root",
        "workspace",
        "mnt",
        "tmp",
        "data",
        "runs",
        "saved_models",
        "results",
        "drive",
        "kaggle",
        "users",
        "ckpt",
        "ckpts",
    }
)
_CHECKPOINT = re.compile(r"(?i)(?:checkpoint|ckpt|step|epoch)[-_]?\d+")
_HUB_URL = re.compile(r"(?i)https?://(?:www\.)?(?:huggingface\.co|hf\.co)/(?!datasets/|spaces/)([^/?#\s]+/[^/?#\s]+)")
_HF_CACHE = re.compile(
    r"models--([A-Za-z0-9_.-]+?)--([A-Za-z0-9_.-]+?)(?:[/\\]+snapshots[/\\]+([0-9a-f]{7,40}))?(?:[/\\]|$)"
)
MAX_QUOTE = 300  # linsh:ClaimShape-quote

_SEGMENT = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?"
_REPO_ID = re.compile(rf"({_SEGMENT})/({_SEGMENT})")
_LICENSE_ID = re.compile(r"[a-z0-9][a-z0-9.+_-]*")
_PIPELINE_TAG = re.compile(r"[a-z0-9][a-z0-9-]*")
_LIBRARY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,99}")
_KEY_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


class ImportError_(Exception):  # noqa: N801 - not the builtin ImportError
    """The input as a whole cannot be read (no such file, not a folder or a .json/.jsonl file)."""


def is_repo_id(text: str) -> bool:
    """``owner/name`` as the Hub allows it: letters, digits, ``-_.``, no ``--`` or ``..``, ≤ 96 a part."""
    return bool(_REPO_ID.fullmatch(text)) and "--" not in text and ".." not in text


def model_iri(repo_id: str) -> URIRef:
    """The IRI of a Hub model that no curated model stands for."""
    return MODEL[f"hf/{repo_id.lower()}"]


def repo_id_of(iri: URIRef) -> str | None:
    """The (lower-case) Hub id of an IRI made by :func:`model_iri`, else None."""
    prefix = str(MODEL["hf/"])
    text = str(iri)
    return text[len(prefix) :] if text.startswith(prefix) and is_repo_id(text[len(prefix) :]) else None


# -- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A card that was skipped (or, as a warning, a field that was left out), with where and why."""

    where: str
    reason: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.where}: {'warning: ' if self.warning else ''}{self.reason}"


@dataclass
class Card:
    """One repository's metadata as read, before it is checked."""

    repo_id: str
    where: str  # the file (and line) it was read from, for reports
    metadata: dict
    files: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    pipeline_tag: object = None
    library: object = None
    author: object = None
    created: object = None
    modified: object = None
    lines: dict[str, int] = field(default_factory=dict)  # metadata key -> line in the file
    body: str = ""  # the README after its front matter (a mergekit configuration is read from it)

    def at(self, key: str) -> str:
        """Where ``key`` is written: ``file:line`` for a README, the record's place otherwise."""
        line = self.lines.get(key)
        return f"{self.where}:{line}" if line else self.where


def read(path: Path) -> Iterator[Card | Problem]:
    """Every card under ``path`` (a folder of repositories, or a .json/.jsonl file), in a stable order."""
    if path.is_dir():
        yield from read_folder(path)
    elif path.suffix.lower() in (".json", ".jsonl") and path.is_file():
        yield from read_records(path)
    elif not path.exists():
        raise ImportError_(f"{path}: no such file or folder")
    else:
        raise ImportError_(f"{path}: neither a folder of model repositories nor a .json or .jsonl file")


def _visible_dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def read_folder(root: Path) -> Iterator[Card | Problem]:
    """``root/<owner>/<name>/README.md`` for every repository folder."""
    for owner in _visible_dirs(root):
        for repo in _visible_dirs(owner):
            readme = repo / "README.md"
            if not readme.is_file():
                yield Problem(str(repo), "no README.md in this repository folder")
                continue
            files = tuple(
                sorted(
                    p.relative_to(repo).as_posix()
                    for p in repo.rglob("*")
                    if p.is_file() and not any(part.startswith(".") for part in p.relative_to(repo).parts)
                )
            )
            yield card_from_readme(readme, f"{owner.name}/{repo.name}", files)


@dataclass(frozen=True)
class Readme:
    """A README.md split into its front matter (checked to be a mapping) and its body."""

    metadata: dict
    body: str
    lines: dict[str, int]  # metadata key -> line in the file


def parse_readme(text: str, where: str) -> Readme | Problem:
    """Split a README's text: YAML front matter between ``---`` lines (CRLF line endings too), then
    the body. A broken or unclosed front matter, or the Hub's ``Entry not found`` page instead of a
    card, is a :class:`Problem` at ``where:line``."""
    text = text.removeprefix("\ufeff")
    if text.strip() == NOT_FOUND:
        return Problem(f"{where}:1", f"the file is the Hub's '{NOT_FOUND}' answer, not a model card")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return Readme({}, text, {})
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return Problem(f"{where}:1", "the YAML front matter has no closing '---' line")
    try:
        metadata = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        place = f"{where}:{mark.line + 2}" if mark is not None else where
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        return Problem(place, f"broken YAML front matter: {problem}")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        return Problem(f"{where}:2", "the YAML front matter is not a mapping of fields")
    keys = {m.group(1): n for n, line in enumerate(lines[1:end], 2) if (m := _KEY_LINE.match(line))}
    return Readme(metadata, "\n".join(lines[end + 1 :]), keys)


def card_from_readme(readme: Path, repo_id: str, files: tuple[str, ...] = ()) -> Card | Problem:
    """A card from a README.md with YAML front matter (``---`` lines around it)."""
    try:
        text = readme.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return Problem(str(readme), f"cannot be read: {error}")
    parsed = parse_readme(text, str(readme))
    if isinstance(parsed, Problem):
        return parsed
    metadata = parsed.metadata
    tags = metadata.get("tags")
    return Card(
        repo_id=repo_id,
        where=str(readme),
        metadata=metadata,
        files=files,
        tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
        pipeline_tag=metadata.get("pipeline_tag"),
        library=metadata.get("library_name"),
        lines=parsed.lines,
        body=parsed.body,
    )


def read_records(path: Path) -> Iterator[Card | Problem]:
    """Hub API records: one JSON object a line (.jsonl), or a JSON list of them or one object (.json)."""
    try:
        text = path.read_text(encoding="utf-8").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError) as error:
        raise ImportError_(f"{path}: cannot be read: {error}") from None
    if path.suffix.lower() == ".jsonl":
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                yield Problem(f"{path}:{number}", f"not JSON: {error.msg} (column {error.colno})")
                continue
            yield card_from_record(record, f"{path}:{number}")
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        yield Problem(f"{path}:{error.lineno}", f"not JSON: {error.msg} (column {error.colno})")
        return
    records = data if isinstance(data, list) else [data]
    for index, record in enumerate(records):
        yield card_from_record(record, f"{path}[{index}]")


def card_from_record(record: object, where: str, body: str = "") -> Card | Problem:
    """A card from one Hub API model record (``body``: its README after the front matter, if fetched)."""
    if not isinstance(record, dict):
        return Problem(where, "a record is a JSON object")
    repo_id = record.get("id") or record.get("modelId")
    if not isinstance(repo_id, str):
        return Problem(where, "the record has no id")
    card_data = record.get("cardData") or {}
    if not isinstance(card_data, dict):
        return Problem(where, "cardData is not an object")
    siblings = record.get("siblings") or []
    files = tuple(
        sorted(s["rfilename"] for s in siblings if isinstance(s, dict) and isinstance(s.get("rfilename"), str))
    )
    tags = record.get("tags") or card_data.get("tags") or []
    return Card(
        repo_id=repo_id,
        where=where,
        metadata=card_data,
        files=files if isinstance(siblings, list) else (),
        tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
        pipeline_tag=record.get("pipeline_tag") or card_data.get("pipeline_tag"),
        library=record.get("library_name") or card_data.get("library_name"),
        author=record.get("author"),
        created=record.get("createdAt"),
        modified=record.get("lastModified"),
        body=body,
    )


# -- checking --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Licence:
    id: str  # the Hub's licence id, lower case: the last segment of its IRI
    quote: str
    label: str | None = None  # for ``other`` with a ``license_name``
    url: str | None = None


@dataclass
class Entry:
    """A card that passed the checks: what the import says about one model."""

    repo_id: str
    where: str
    bases: tuple[str, ...] = ()
    relation: str | None = None
    explicit: bool = False  # base_model_relation given in the card
    because: str = ""  # why an inferred relation was inferred
    quotes: dict[str, str] = field(default_factory=dict)  # base id (lower) -> quote
    locators: dict[str, str] = field(default_factory=dict)  # base id (lower) -> where in the card
    notes: dict[str, str] = field(default_factory=dict)  # base id (lower) -> how the id was read, if not as written
    licences: tuple[Licence, ...] = ()
    pipeline_tag: str | None = None
    library: str | None = None
    owner: str = ""
    created: dt.date | None = None
    modified: dt.date | None = None

    @property
    def kind(self) -> str:
        """The edge's property name: a fine-tune only inferred (not stated) is ``derivedFrom``."""
        if self.relation == "finetune" and not self.explicit:
            return "derivedFrom"
        return RELATIONS[self.relation] if self.relation else ""


def looks_local(text: str) -> bool:
    """A ``base_model`` value that names a folder on someone's disk, not a Hub repository: an absolute,
    relative or home path, a Windows path, more than two parts, or two parts that read as a folder
    (``outputs/checkpoint-500``, ``models/llama``: a training run's output folder)."""
    if text.startswith(("/", "./", "../", "~", ".\\")) or "\\" in text or re.match(r"[A-Za-z]:[/\\]", text):
        return True
    parts = text.strip("/").split("/")
    if len(parts) != 2:
        return len(parts) > 2
    return parts[0].lower() in LOCAL_OWNERS or bool(_CHECKPOINT.fullmatch(parts[1]))


def read_base(value: str) -> tuple[str | None, str]:
    """A ``base_model`` value as a Hub repo id and a note saying how it was read when it was not written
    as one (a ``https://huggingface.co/owner/name`` URL, a local Hugging Face cache path
    ``…/models--Org--Name/snapshots/<sha>``); or None and why it names no Hub model (a local path, not
    an id). Local paths never become models."""
    text = value.strip()
    if is_repo_id(text):
        if looks_local(text):
            return None, f"base_model {text!r} reads as a local folder, not a Hub repo id; no edge for it"
        return text, ""
    if (url := _HUB_URL.match(text)) and is_repo_id(url.group(1)):
        return url.group(1), f"base_model is written as the URL {text}, read as the repo id {url.group(1)}."
    if (cache := _HF_CACHE.search(text)) and is_repo_id(f"{cache.group(1)}/{cache.group(2)}"):
        repo = f"{cache.group(1)}/{cache.group(2)}"
        at = f" at revision {cache.group(3)}" if cache.group(3) else ""
        return repo, f"base_model is a local Hugging Face cache path ({text}), decoded as {repo}{at}."
    if looks_local(text):
        return None, f"base_model {text!r} is a local path, not a Hub repo id; no edge for it"
    return None, f"base_model {text!r} is not a Hub repo id (owner/name); no edge for it"


def _config_models(body: str) -> list[str]:
    """The models a mergekit configuration in the card's body merges (LazyMergekit cards show it as a
    fenced YAML block): ``models[].model``, ``slices[].sources[].model``, then ``base_model``."""
    found: list[str] = []
    for block in re.findall(r"```ya?ml[^\n]*\n(.*?)```", body, flags=re.S | re.I):
        try:
            config = yaml.safe_load(block)
        except yaml.YAMLError:
            continue
        if not isinstance(config, dict) or not ({"models", "slices", "merge_method"} & set(config)):
            continue
        entries = [m for m in config.get("models") or [] if isinstance(m, dict)]
        for piece in config.get("slices") or []:
            if isinstance(piece, dict):
                entries += [m for m in piece.get("sources") or [] if isinstance(m, dict)]
        names = [m.get("model") for m in entries] + [config.get("base_model")]
        for name in names:
            if isinstance(name, str) and name.split("+")[0].strip() not in found:
                found.append(name.split("+")[0].strip())  # "model+lora": the model, with a LoRA applied
    return found


def _hub_tag_bases(tags: Iterable[str]) -> dict[str, tuple[str, str]]:
    """The Hub's computed ``base_model:{relation}:{id}`` tags: base id (lower) -> (id, relation)."""
    found: dict[str, tuple[str, str]] = {}
    for tag in tags:
        parts = tag.split(":")
        if len(parts) == 3 and parts[0] == "base_model" and parts[1] in RELATIONS and is_repo_id(parts[2]):
            found.setdefault(parts[2].lower(), (parts[2], parts[1]))
    return found


def _base_ids(card: Card) -> tuple[dict[str, tuple[str, str, str, str]], Problem | None, list[Problem]]:
    """The card's base models: id (lower) -> (id, quote, locator, note), in the card's order; the
    problem that skips the card; warnings for values that name no Hub model (they are left out).

    Read from ``base_model`` (a repo id, a list, a Hub URL, a cache path); for a merge (a ``mergekit``
    tag or file) also from the mergekit configuration in the body; and, when the card names no base,
    from the Hub's computed ``base_model:{relation}:{id}`` tags of an API record."""
    raw = card.metadata.get("base_model")
    values: list | None = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else None
    if raw is None or raw == "":
        values = []
    if values is None or not all(isinstance(v, str) for v in values):
        return {}, Problem(card.at("base_model"), "base_model is neither a repo id nor a list of repo ids"), []
    found: dict[str, tuple[str, str, str, str]] = {}
    warnings: list[Problem] = []
    read: list[tuple[str, str]] = []
    for value in values:
        repo, why = read_base(value)
        if repo is None:
            warnings.append(Problem(card.at("base_model"), why, True))
            continue
        if repo.lower() == card.repo_id.lower():
            return {}, Problem(card.at("base_model"), f"base_model names the model itself ({value.strip()})"), []
        read.append((repo, why))
    listed = [r for r, _ in read]
    for repo, why in read:
        quote = _base_quote(tuple(listed), repo, card.metadata.get("base_model_relation"))
        found.setdefault(repo.lower(), (repo, quote, LOCATOR + "base_model", why))
    merging = MERGE_TAGS & {t.lower() for t in card.tags} or any(Path(f).name in MERGE_FILES for f in card.files)
    if merging and card.body:
        for value in _config_models(card.body):
            repo, why = read_base(value)
            if repo is None:
                warnings.append(Problem(card.where, f"in the mergekit configuration: {why}", True))
            elif repo.lower() != card.repo_id.lower():
                found.setdefault(repo.lower(), (repo, f"- model: {value}", CONFIG_LOCATOR, why))
    if not found and not values:
        for key, (repo, relation) in _hub_tag_bases(card.tags).items():
            if key != card.repo_id.lower():
                found[key] = (repo, f"base_model:{relation}:{repo}", "Hub API record: tags", "")
    return found, None, warnings


def _hub_relation(card: Card, bases: Iterable[str]) -> tuple[str, str] | None:
    """The relation the Hub computed for this card's bases (its ``base_model:{relation}:{id}`` tags),
    when it is not the fine-tune it assumes by default."""
    tagged = _hub_tag_bases(card.tags)
    for base in bases:
        if base.lower() in tagged and tagged[base.lower()][1] != "finetune":
            relation = tagged[base.lower()][1]
            return relation, f"the Hub tags it base_model:{relation}:{tagged[base.lower()][0]}"
    return None


def infer_relation(
    repo_id: str,
    bases: tuple[str, ...],
    files: Iterable[str],
    tags: Iterable[str],
    *,
    library: object = None,
    quantized_by: object = None,
) -> tuple[str, str]:
    """The Hub's kind of derivation for a card that does not state it, and why: several bases or a
    mergekit tag or file → merge; adapter files or ``library_name: peft`` → adapter; a GGUF file, a
    quantisation config, a quantisation tag, a quantisation word in the name, or ``quantized_by`` →
    quantized; else finetune (which the importer writes as ``derivedFrom``)."""
    tags = list(tags)
    files = list(files)
    names = {Path(f).name for f in files}
    merge_tag = next((t for t in tags if t.lower() in MERGE_TAGS), None)
    if merge_tag:
        return "merge", f"it is tagged {merge_tag}"
    merge_file = next((f for f in MERGE_FILES if f in names), None)
    if merge_file:
        return "merge", f"the repository has {merge_file}"
    if len(bases) > 1:
        return "merge", f"it names {len(bases)} base models"
    adapter = next((f for f in ADAPTER_FILES if f in names), None)
    if adapter:
        return "adapter", f"the repository has {adapter}"
    if isinstance(library, str) and library.strip().lower() == "peft":
        return "adapter", "its library_name is peft"
    gguf = next((f for f in files if f.lower().endswith(".gguf")), None)
    if gguf:
        return "quantized", f"the repository has the GGUF file {gguf}"
    config = next((f for f in QUANT_FILES if f in names), None)
    if config:
        return "quantized", f"the repository has {config}"
    tag = next((t for t in tags if t.lower() in QUANT_TAGS), None)
    if tag:
        return "quantized", f"it is tagged {tag}"
    word = next((w for w in re.split(r"[-_.]", repo_id.split("/")[-1].lower()) if w in QUANT_WORDS), None)
    if word:
        return "quantized", f"the repository's name says {word}"
    if isinstance(quantized_by, str) and quantized_by.strip():
        return "quantized", f"its card says quantized_by: {quantized_by.strip()}"
    return "finetune", "it shows no sign of a merge, an adapter or a quantisation"


def _base_quote(bases: tuple[str, ...], base: str, relation: object) -> str:
    """The metadata behind one edge, written as YAML: ``base_model: x`` or ``base_model: [x, y]``."""
    listed = f"[{', '.join(bases)}]" if len(bases) > 1 else bases[0]
    suffix = f"\nbase_model_relation: {str(relation).strip()}" if relation else ""
    quote = f"base_model: {listed}{suffix}"
    if len(quote) > MAX_QUOTE:
        quote = f"base_model: [… {base} …]{suffix}"
    return quote


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value if not isinstance(value, dt.datetime) else value.date()
    if isinstance(value, str) and (m := _DATE.match(value.strip())):
        try:
            return dt.date.fromisoformat(m.group(1))
        except ValueError:
            return None
    return None


def _licences(card: Card, warnings: list[Problem]) -> tuple[Licence, ...]:
    raw = card.metadata.get("license")
    if raw is None or raw == "":
        return ()
    values = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else [raw]
    found: list[Licence] = []
    for value in values:
        text = value.strip().lower() if isinstance(value, str) else ""
        if text == "other":
            name, link = card.metadata.get("license_name"), card.metadata.get("license_link")
            url = link if isinstance(link, str) and re.match(r"https?://\S+$", link) else None
            named = re.sub(r"[^a-z0-9.+_-]+", "-", name.strip().lower()).strip("-") if isinstance(name, str) else ""
            if isinstance(name, str) and _LICENSE_ID.fullmatch(named):
                found.append(Licence(named, f"license: other\nlicense_name: {name.strip()}", name.strip(), url))
            else:
                found.append(Licence("other", "license: other", None, url))
        elif _LICENSE_ID.fullmatch(text):
            found.append(Licence(text, f"license: {value.strip()}"))
        else:
            warnings.append(Problem(card.at("license"), f"license {value!r} is not a licence id; left out", True))
    unique: dict[str, Licence] = {}
    for licence in found:
        unique.setdefault(licence.id, licence)
    return tuple(unique.values())


def _set_relation(entry: Entry, card: Card, raw_relation: object, warnings: list[Problem]) -> None:
    """The entry's kind of derivation: as the card states it, else inferred (and why)."""
    bases = entry.bases
    if entry.explicit:
        entry.relation = str(raw_relation).strip().lower()
        if entry.relation == "merge" and len(bases) < 2:
            warnings.append(Problem(card.at("base_model_relation"), "a merge that names one base model", True))
            entry.relation, entry.because = "finetune", "a merge names two bases or more, this card one"
            entry.explicit = False
        return
    entry.relation, entry.because = infer_relation(
        card.repo_id,
        bases,
        card.files,
        card.tags,
        library=card.library,
        quantized_by=card.metadata.get("quantized_by"),
    )
    hub = _hub_relation(card, bases) if entry.relation == "finetune" else None
    if hub:  # the Hub saw a sign this record does not show (a record without siblings)
        entry.relation, entry.because = hub
    if entry.relation == "merge" and len(bases) < 2:  # a mergekit card whose merged models are not named
        entry.relation, entry.because = "finetune", f"{entry.because}, but names one base model only"


def check(card: Card) -> tuple[Entry | None, list[Problem]]:
    """The entry a card gives, or None and the problem that skips it; plus warnings."""
    if not is_repo_id(card.repo_id):
        return None, [Problem(card.where, f"{card.repo_id!r} is not a Hub repo id (owner/name)")]
    found, problem, warnings = _base_ids(card)
    if problem:
        return None, [problem]
    bases = tuple(repo for repo, _, _, _ in found.values())
    raw_relation = card.metadata.get("base_model_relation")
    explicit = raw_relation is not None and raw_relation != ""
    if explicit:
        if not isinstance(raw_relation, str) or raw_relation.strip().lower() not in RELATIONS:
            return None, [
                Problem(
                    card.at("base_model_relation"),
                    f"unknown base_model_relation {raw_relation!r} (expected finetune, adapter, quantized or merge)",
                )
            ]
        if not bases and not warnings:
            return None, [Problem(card.at("base_model_relation"), "base_model_relation without a base_model")]
    entry = Entry(card.repo_id, card.where, bases, explicit=explicit and bool(bases))
    if bases:
        _set_relation(entry, card, raw_relation, warnings)
        entry.quotes = {key: quote for key, (_, quote, _, _) in found.items()}
        entry.locators = {key: locator for key, (_, _, locator, _) in found.items()}
        entry.notes = {key: note for key, (_, _, _, note) in found.items() if note}
    entry.licences = _licences(card, warnings)
    for attribute, key, pattern in (
        ("pipeline_tag", "pipeline_tag", _PIPELINE_TAG),
        ("library", "library_name", _LIBRARY),
    ):
        value = getattr(card, attribute)
        if value is None or value == "":
            continue
        if isinstance(value, str) and pattern.fullmatch(value.strip()):
            setattr(entry, attribute, value.strip())
        else:
            warnings.append(Problem(card.at(key), f"{key} {value!r} is not a plain name; left out", True))
    author = card.author if isinstance(card.author, str) and re.fullmatch(_SEGMENT, card.author) else None
    entry.owner = author or card.repo_id.split("/")[0]
    for attribute, key in (("created", "createdAt"), ("modified", "lastModified")):
        value = getattr(card, attribute)
        if value is not None:
            date = _date(value)
            if date is None:
                warnings.append(Problem(card.where, f"{key} {value!r} is not a date; left out", True))
            setattr(entry, attribute, date)
    return entry, warnings


# -- the curated data ------------------------------------------------------------------------------


@dataclass
class Curated:
    """What the curated data already has: models by their Hub id (lower case), and licences."""

    models: dict[str, URIRef] = field(default_factory=dict)
    licences: set[URIRef] = field(default_factory=set)

    @classmethod
    def from_graph(cls, graph: Graph) -> Curated:
        models = {str(o).lower(): s for s, o in graph.subject_objects(LIN.modelId) if isinstance(s, URIRef)}
        licences = {s for s in graph.subjects(RDF.type, LIN.License) if isinstance(s, URIRef)}
        return cls(models, licences)

    @classmethod
    def bundled(cls, root: Path | None = None) -> Curated:
        """The curated data of the checkout (``data/*.ttl``), parsed but not reasoned."""
        pass

        graph = Graph()
        for path in Inputs.bundled(root).data:
            parse_turtle(path, graph)
        return cls.from_graph(graph)


# -- writing ---------------------------------------------------------------------------------------

PREFIXES = {
    "dcterms": "http://purl.org/dc/terms/",
    "lin": str(LIN),
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def _string(text: str) -> str:
    """A Turtle string literal."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return '"' + re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04X}", out) + '"'


def _date_literal(date: dt.date) -> str:
    return f'"{date.isoformat()}"^^xsd:date'


def _iri(iri: str) -> str:
    return f"<{iri}>"


def _block(subject: str, pairs: list[tuple[str, str]]) -> str:
    """A Turtle block: the subject, then its predicates; a predicate's consecutive objects as a list."""
    lines: list[str] = []
    last = None
    for p, o in pairs:
        if lines and p == last:
            lines[-1] += f", {o}"
        else:
            lines.append(f"    {p} {o}")
        last = p
    return f"{_iri(subject)}\n" + " ;\n".join(lines) + " .\n"


def _full(term: str) -> str:
    """A term as the Turtle blocks write it, in N-Triples form: ``a``, ``lin:Model``, ``true`` and
    ``"2024-01-02"^^xsd:date`` made full IRIs and typed literals (only the shapes this module writes)."""
    first = term[0]
    if first == "<":
        return term
    if first == '"':
        end = term.rindex('"') + 1  # what follows the lexical form (a language, a datatype) has no quote
        return term[:end] + "^^" + _full_name(term[end + 2 :]) if term.startswith("^^", end) else term
    return _full_name(term)


@functools.lru_cache(maxsize=1024)
def _full_name(term: str) -> str:
    """``a``, ``true``, ``false`` or a prefixed name, in N-Triples form."""
    if term == "a":
        return RDF_TYPE
    if term in ("true", "false"):
        return f'"{term}"^^<{PREFIXES["xsd"]}boolean>'
    prefix, _, local = term.partition(":")
    return f"<{PREFIXES[prefix]}{local}>"


def _ntriples_block(subject: str, pairs: list[tuple[str, str]]) -> str:
    """The same statements as :func:`_block`, one N-Triples line each."""
    return "".join(f"<{subject}> {_full_name(p)} {_full(o)} .\n" for p, o in pairs)


FORMATS = {"turtle": _block, "ntriples": _ntriples_block}
"""What ``lineage import hf`` writes: Turtle (readable) or N-Triples (which ``lineage bigbuild`` reads
about twice as fast)."""


def graph_iri(name: str) -> URIRef:
    return URIRef(f"{BASE}graph/import/hf-{name}")


def slug(text: str) -> str:
    """A name for the import graph from a file or folder name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "cards"


@dataclass
class Result:
    """What an import produced: the Turtle document and its counts."""

    turtle: str
    graph: URIRef
    models: int
    edges: int
    bases_added: int
    problems: list[Problem]

    @property
    def skipped(self) -> int:
        return sum(1 for p in self.problems if not p.warning)

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.warning)

    def summary(self) -> str:
        def n(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 else 's'}"

        text = f"imported {n(self.models, 'model')}, {n(self.edges, 'edge')}"
        if self.bases_added:
            text += f" ({n(self.bases_added, 'base model')} outside the import added by id)"
        text += f"; skipped {n(self.skipped, 'card')}"
        if self.warnings:
            text += f"; {n(self.warnings, 'warning')}"
        return text


class _Writer:
    """Turtle blocks (or their N-Triples) for checked entries, with the organisations and licences they name."""

    def __init__(self, entries: list[Entry], curated: Curated, fmt: str = "turtle"):
        self.block = FORMATS[fmt]
        self.imported = {e.repo_id.lower(): e for e in entries}
        self.curated = curated
        self.owners: dict[str, set[str]] = {}  # lower-case owner -> its spellings
        self.licences: dict[str, Licence] = {}
        self.outside: dict[str, str] = {}  # bases neither imported nor curated: lower-case id -> id
        self.edges = 0

    def model(self, repo_id: str) -> str:
        return str(self.curated.models.get(repo_id.lower()) or model_iri(repo_id))

    def org(self, owner: str) -> str:
        self.owners.setdefault(owner.lower(), set()).add(owner)
        return _iri(f"{BASE}org/hf/{owner.lower()}")

    def entry(self, entry: Entry) -> list[str]:
        """The card, the model and its claims."""
        path, key = entry.repo_id.lower(), entry.repo_id.lower()
        card = f"{BASE}source/hf/{path}"
        dated = entry.modified or entry.created
        source = [("a", "lin:ModelCard"), ("dcterms:title", _string(f"{entry.repo_id} (model card)"))]
        source.append(("lin:publishedBy", self.org(entry.owner)))
        if dated:
            source.append(("dcterms:issued", _date_literal(dated)))
        source.append(("schema:url", _string(HUB + entry.repo_id)))
        facts: list[tuple[str, str]] = []
        if key not in self.curated.models:  # a curated model keeps its own label, developer and date
            facts += [("a", "lin:Model"), ("rdfs:label", _string(entry.repo_id))]
            facts += [("lin:modelId", _string(entry.repo_id)), ("lin:developedBy", self.org(entry.owner))]
            if entry.created:
                facts.append(("lin:releaseDate", _date_literal(entry.created)))
        if entry.pipeline_tag:
            facts.append(("lin:pipelineTag", _string(entry.pipeline_tag)))
        if entry.library:
            facts.append(("lin:library", _string(entry.library)))
        facts.append(("lin:describedBy", _iri(card)))
        cited = [("lin:source", _iri(card))]
        when = [("lin:claimDate", _date_literal(dated))] if dated else []
        claims: list[tuple[str, list[tuple[str, str]]]] = []
        kind = f"lin:{entry.kind}" if entry.relation else ""
        parents: list[tuple[str, str]] = []  # (base id, parent IRI)
        for base in entry.bases:
            parent = self.model(base)
            if base.lower() not in self.imported and base.lower() not in self.curated.models:
                self.outside.setdefault(base.lower(), base)
            facts.append((kind, _iri(parent)))
            parents.append((base, parent))
            self.edges += 1
        # a merge is one claim naming every parent; any other kind, one claim a parent
        groups = [parents] if entry.relation == "merge" else [[p] for p in parents]
        for group in groups:
            keys = [base.lower() for base, _ in group]
            claim = [("a", "lin:LineageClaim"), *(("lin:claimedParent", _iri(parent)) for _, parent in group)]
            claim += [("lin:claimedKind", kind), ("lin:method", _iri(f"{BASE}method/unstated")), *cited]
            quote = "\n".join(dict.fromkeys(entry.quotes[k] for k in keys))
            quote = quote if len(quote) <= MAX_QUOTE else quote[: MAX_QUOTE - 1] + "…"
            locator = "; ".join(dict.fromkeys(entry.locators.get(k, LOCATOR + "base_model") for k in keys))
            claim += [("lin:quote", _string(quote)), ("lin:locator", _string(locator))]
            notes = [entry.notes[k] for k in keys if k in entry.notes]
            confident = entry.explicit and not notes
            claim += [*when, ("lin:confidence", "lin:high" if confident else "lin:medium")]
            claim.append(("lin:inDefaultLineage", "true"))
            claim.append(("skos:note", _string(" ".join([_relation_note(entry), *notes]))))
            name = "merge" if entry.relation == "merge" else f"base/{keys[0]}"
            claims.append((f"{BASE}claim/hf/{path}/{name}", claim))
        for licence in entry.licences:
            self.licences.setdefault(licence.id, licence)
            iri = _iri(str(LICENSE[licence.id]))
            facts.append(("lin:license", iri))
            claim = [("a", "lin:LicenseClaim"), ("lin:claimedLicense", iri), *cited]
            claim += [("lin:quote", _string(licence.quote)), ("lin:locator", _string(LOCATOR + "license"))]
            claim += [*when, ("lin:confidence", "lin:high"), ("lin:inDefaultLineage", "true")]
            claims.append((f"{BASE}claim/hf/{path}/license/{licence.id}", claim))
        if claims:
            facts += [("lin:hasClaim", _iri(c)) for c, _ in claims]
        block = self.block
        return [block(card, source), block(self.model(entry.repo_id), facts)] + [block(c, p) for c, p in claims]

    def outside_model(self, base: str) -> str:
        """A base model that is neither imported nor curated: known only by its id."""
        pairs = [("a", "lin:Model"), ("rdfs:label", _string(base)), ("lin:modelId", _string(base))]
        pairs += [("lin:developedBy", self.org(base.split("/")[0])), ("schema:url", _string(HUB + base))]
        return self.block(str(model_iri(base)), pairs)

    def licence(self, licence: Licence) -> str:
        """A licence the curated data does not list, labelled with its id (or its ``license_name``)."""
        label = licence.label or licence.id
        if licence.id == "other" and not licence.label:
            label = "other (a licence the Hub does not list; see the model card)"
        pairs = [("a", "lin:License"), ("rdfs:label", _string(label))]
        if licence.url:
            pairs.append(("schema:url", _string(licence.url)))
        return self.block(str(LICENSE[licence.id]), pairs)


LOCATOR = "model card metadata (YAML front matter): "


def _relation_note(entry: Entry) -> str:
    """Whether the kind of derivation was stated by the card or inferred, and from what."""
    if entry.explicit:
        return f"The card states base_model_relation: {entry.relation}."
    note = f"The card gives no base_model_relation; taken as {entry.relation}, as the Hub does: {entry.because}."
    if entry.kind == "derivedFrom":
        note += " Written as lin:derivedFrom, not lin:fineTunedFrom: the card does not say it is a fine-tune."
    return note


CONFIG_LOCATOR = "model card text: the mergekit configuration (YAML)"


def to_turtle(entries: list[Entry], curated: Curated, name: str, *, progress: bool = False) -> tuple[str, int, int]:
    """The Turtle document for checked entries; also the number of edges and of base models added."""
    out = io.StringIO()
    edges, added = write_document(entries, curated, name, out, progress=progress)
    return out.getvalue(), edges, added


def write_document(
    entries: list[Entry], curated: Curated, name: str, out: IO[str], *, fmt: str = "turtle", progress: bool = False
) -> tuple[int, int]:
    """Write the document for checked entries to ``out`` as it is made (a million cards never sit in
    memory as text), in Turtle or N-Triples (``fmt``, a key of :data:`FORMATS`); the number of edges
    and of base models added.

    The document header comes first; the organisations, licences and models outside the import that
    the cards name come after the cards, once they are all known."""
    writer = _Writer(entries, curated, fmt)
    turtle = fmt == "turtle"
    sep = "\n" if turtle else ""  # a blank line between Turtle blocks; N-Triples lines follow each other

    def section(comment: str) -> list[str]:
        return [f"# {comment}", ""] if turtle else []

    title = _string(f"Model Lineage data: Hugging Face import hf-{name}") + "@en"
    header = [("a", "owl:Ontology"), ("dcterms:title", title), ("owl:imports", _iri(str(ONTOLOGY_IRI)))]
    head = [*(f"@prefix {p}: <{ns}> ." for p, ns in PREFIXES.items()), ""] if turtle else []
    head += [writer.block(str(graph_iri(name)), header), *section("Model cards, models and claims")]
    out.write(sep.join(head) + sep)
    keys = sorted(writer.imported)
    batch: list[str] = []
    for key in _bar(keys, f"writing {fmt}", progress, total=len(keys)):
        batch += writer.entry(writer.imported[key])
        if len(batch) > 4096:
            out.write(sep.join(batch) + sep)
            batch.clear()
    out.write(sep.join(batch) + sep if batch else "")
    tail = []
    if writer.outside:  # first: they name organisations too
        tail += section("Base models that are neither imported nor curated, known by their ids")
        tail += [writer.outside_model(writer.outside[key]) for key in sorted(writer.outside)]
    tail += section("Hub namespaces (users or organisations) that publish the cards and models")
    for owner in sorted(writer.owners):
        label = min(writer.owners[owner])
        tail.append(writer.block(f"{BASE}org/hf/{owner}", [("a", "lin:Organization"), ("rdfs:label", _string(label))]))
    missing = [lic for key, lic in sorted(writer.licences.items()) if LICENSE[key] not in curated.licences]
    if missing:
        tail += [*section("Licences the curated data does not list"), *(writer.licence(lic) for lic in missing)]
    out.write(sep.join(tail) + sep)
    return writer.edges, len(writer.outside)


def _bar(items: Iterable, what: str, enabled: bool, total: int | None = None) -> tqdm:
    """A progress bar on standard error that shows only when the work takes more than a second."""
    return tqdm(
        items, desc=what, total=total, unit="card", file=sys.stderr, disable=not enabled, delay=1.0, leave=False
    )


def read_entries(path: Path, *, progress: bool = False) -> tuple[list[Entry], list[Problem]]:
    """Read and check every card under ``path``: the good ones, and the problems (skipped cards and
    warnings). Raises :class:`ImportError_` when ``path`` cannot be read at all."""
    with _bar(read(path), "reading cards", progress) as bar:
        return check_cards(bar)


def check_cards(cards: Iterable[Card | Problem]) -> tuple[list[Entry], list[Problem]]:
    """Check cards (read from files, or records from the Hub): the good entries, one a repo id, and
    the problems (skipped cards and warnings)."""
    entries: dict[str, Entry] = {}
    problems: list[Problem] = []
    for card in cards:
        if isinstance(card, Problem):
            problems.append(card)
            continue
        entry, found = check(card)
        problems += found
        if entry is None:
            continue
        key = entry.repo_id.lower()
        if key in entries:
            problems.append(Problem(card.where, f"{entry.repo_id} was already read from {entries[key].where}"))
            continue
        entries[key] = entry
    return list(entries.values()), problems


def default_name(path: Path) -> str:
    return slug(path.stem if path.is_file() else path.name)


def import_cards(
    path: Path,
    *,
    name: str | None = None,
    curated: Curated | None = None,
    progress: bool = False,
    out: IO[str] | None = None,
    fmt: str = "turtle",
) -> Result:
    """Read every card under ``path``, check each, and write the good ones as one document: to
    ``out`` as it is made, in ``fmt`` (``Result.turtle`` is then empty), else as Turtle into
    ``Result.turtle``. Nothing is written when no card is good.

    Raises :class:`ImportError_` when ``path`` cannot be read at all."""
    curated = curated if curated is not None else Curated.bundled()
    entries, problems = read_entries(path, progress=progress)
    name = name or default_name(path)
    turtle, edges, added = "", 0, 0
    if entries and out is not None:
        edges, added = write_document(entries, curated, name, out, fmt=fmt, progress=progress)
    elif entries:
        turtle, edges, added = to_turtle(entries, curated, name, progress=progress)
    return Result(turtle, graph_iri(name), len(entries), edges, added, problems)
