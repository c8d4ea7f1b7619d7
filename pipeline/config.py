"""One typed configuration per run, written next to every output.

``RunConfig`` holds everything that decides what a run produces; ``RunConfig.fingerprint`` hashes
the parts that decide a document's segments and tags, so that a re-run can tell what is done.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.models import Unit

DEFAULT_CODEBOOK = Path(__file__).resolve().parent.parent / "codebooks" / "wijkeconomie.yaml"


class IngestOptions(BaseModel):
    """How source files are read.

    Attributes:
        id_column: Column with the excerpt id in a survey CSV/XLSX (default: row number).
        text_column: Column with the open answer; required to read a survey file.
        case_column: Column with the case (respondent, organisation); default: one case per row.
        sheet: XLSX sheet name; default: the first sheet.
        max_file_mb: Files larger than this are skipped with a reason, not read.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id_column: str | None = None
    text_column: str = "text"
    case_column: str | None = None
    sheet: str | None = None
    max_file_mb: float = Field(default=20.0, gt=0)


class SegmentOptions(BaseModel):
    """How documents are cut into segments.

    Attributes:
        unit: turn, paragraph or sentence (window).
        window: Sentences per segment for ``unit=sentence``.
        min_words: Segments with fewer words are merged into the next one of the same turn
            (keeps "Ja." and "Precies." from becoming units of their own).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: Unit = Unit.TURN
    window: int = Field(default=3, ge=1)
    min_words: int = Field(default=3, ge=1)


class NlpOptions(BaseModel):
    """The spaCy pipeline.

    Attributes:
        model: Name or path of a trained spaCy pipeline (e.g. nl_core_news_sm). ``None`` uses a
            trained Dutch pipeline when one is installed, else spacy.blank('nl') + sentencizer +
            simplemma lemmatiser. ``"blank"`` forces the latter.
        batch_size: Texts per nlp.pipe batch.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = None
    batch_size: int = Field(default=64, ge=1)


class TagOptions(BaseModel):
    """Tagging.

    Attributes:
        methods: Taggers to run: rules, semantic (zero-shot on embeddings), supervised (needs
            ``training``) or ensemble (rules + semantic, + supervised when trained).
        negation_window: Tokens before a match that are searched for a negation word.
        min_score: Tags below this score are dropped.
        embedder: Embedder for semantic/supervised/topics: e5, use, tfidf or st:<model folder>.
        semantic_threshold: z-threshold of the semantic tagger; default: tuned per embedder.
        training: Labelled CSV/JSONL (id, text, labels) for the supervised tagger, or a model file
            (.json) from ``kwali learn``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    methods: list[Literal["rules", "semantic", "supervised", "ensemble"]] = Field(default_factory=lambda: ["rules"])
    negation_window: int = Field(default=3, ge=0)
    min_score: float = Field(default=0.5, ge=0, le=1)
    embedder: str = "e5"
    semantic_threshold: float | None = None
    training: Path | None = None


class TopicOptions(BaseModel):
    """BERTopic topics over segments (``kwali run --topics``).

    Attributes:
        enabled: Fit topics at the end of a run and write DIR/topics/.
        min_topic_size: Smallest topic (HDBSCAN min_cluster_size).
        n_neighbors: UMAP neighbourhood (capped below the number of segments).
        n_components: UMAP output dimensions.
        seed: UMAP random_state: the same input and options give identical topics.
        guided: Seed topics with the codebook's plain pattern words.
        reduce_outliers: Assign outlier segments to their nearest topic by embedding.
        outlier_threshold: Minimum similarity for an outlier to be reassigned.
        top_n_words: Top terms kept per topic.
        uncovered_share: A topic is a candidate new code when no code tags at least this share
            of its segments.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    min_topic_size: int = Field(default=10, ge=2)
    n_neighbors: int = Field(default=15, ge=2)
    n_components: int = Field(default=5, ge=2)
    seed: int = 42
    guided: bool = True
    reduce_outliers: bool = True
    outlier_threshold: float = Field(default=0.0, ge=0.0, le=1.0)
    top_n_words: int = Field(default=10, ge=1)
    uncovered_share: float = Field(default=0.2, ge=0.0, le=1.0)


class RunConfig(BaseModel):
    """Everything a run needs; saved as run_config.json in the output folder.

    Attributes:
        corpus: Study folder with source files and an optional cases.csv.
        out: Output folder for the report, matrices and run config.
        codebook: Codebook YAML.
        store_url: SQLAlchemy URL of the store; default: SQLite file in the output folder.
        attribute: Case attribute for the crosstab (e.g. city); default: the first in cases.csv.
        quotes_per_code: Strongest quotes shown per case and code in the report.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    corpus: Path
    out: Path
    codebook: Path = DEFAULT_CODEBOOK
    store_url: str | None = None
    ingest: IngestOptions = Field(default_factory=IngestOptions)
    segment: SegmentOptions = Field(default_factory=SegmentOptions)
    nlp: NlpOptions = Field(default_factory=NlpOptions)
    tag: TagOptions = Field(default_factory=TagOptions)
    topics: TopicOptions = Field(default_factory=TopicOptions)
    attribute: str | None = None
    quotes_per_code: int = Field(default=3, ge=1)

    def resolved_store_url(self) -> str:
        """The store URL, defaulting to ``<out>/kwali.sqlite``."""
        return self.store_url or f"sqlite:///{(self.out / 'kwali.sqlite').resolve()}"

    def fingerprint(self, codebook_sha256: str) -> str:
        """Hash of what decides a document's segments and tags (not where output goes).

        Files the tag options name only by path count by their contents: an edited training
        file, a model retrained by ``kwali learn`` or another model in a sentence-transformers
        folder re-tags every document, as a changed codebook does.
        """
        parts = {
            "ingest": self.ingest.model_dump(mode="json"),
            "segment": self.segment.model_dump(mode="json"),
            "nlp": self.nlp.model_dump(mode="json"),
            "tag": self.tag.model_dump(mode="json"),
            "codebook": codebook_sha256,
        }
        contents = self._tag_file_contents()
        if contents:  # absent otherwise, so the fingerprints of rule-only studies stay what they were
            parts["contents"] = contents
        blob = json.dumps(parts, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    def _tag_file_contents(self) -> dict[str, str]:
        methods = set(self.tag.methods)
        contents = {}
        training = self.tag.training
        if methods & {"supervised", "ensemble"} and training is not None and Path(training).is_file():
            contents["training"] = hashlib.sha256(Path(training).read_bytes()).hexdigest()
        folder = Path(self.tag.embedder[3:]) if self.tag.embedder.startswith("st:") else None
        if methods & {"semantic", "supervised", "ensemble"} and folder is not None and folder.is_dir():
            from pipeline.embed.st import folder_fingerprint  # the embedding cache's key for it, too

            contents["embedder"] = folder_fingerprint(folder)
        return contents

    def save(self, folder: Path) -> Path:
        """Write the config as JSON into ``folder`` and return the file."""
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "run_config.json"
        target.write_text(self.model_dump_json(indent=2), encoding="utf-8")
        return target
