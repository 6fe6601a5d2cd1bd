"""Test collections for the retrieval-quality benchmark: readers, metrics and off-topic queries.

Two layouts are read, so anyone can point the benchmark at another collection:

* **SMART** (CACM, CISI, MED, ...): ``*.all`` records (``.I n`` then fields ``.T`` title,
  ``.W`` text, ``.B``/``.A``/``.N``/``.X`` ignored), ``query.text`` (``.I n``, ``.W``) and
  ``qrels.text`` (``query doc 0 0`` per line, every listed pair relevant).
* **BEIR** (SciFact, NFCorpus, FiQA, ...): ``corpus.jsonl`` (``_id``, ``title``, ``text``),
  ``queries.jsonl`` (``_id``, ``text``) and ``qrels/test.tsv`` (``query-id corpus-id score``
  with a header line; a score above 0 is relevant, and graded).
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

#: SMART field markers: ``.X`` at the start of a line, optionally followed by text.
_FIELD = re.compile(r"^\.([A-Z])(?:\s+(.*))?$")


@dataclass
class Collection:
    name: str
    #: doc id -> (title, text)
    docs: dict[str, tuple[str, str]]
    #: query id -> query text
    queries: dict[str, str]
    #: query id -> {doc id: gain}; only judged queries appear
    qrels: dict[str, dict[str, int]]

    def doc_of(self, path: str) -> str:
        """The record id of a file written by :func:`write_documents`."""
        stem = Path(path).stem
        if not hasattr(self, "_by_stem"):
            self._by_stem = {file_stem(d): d for d in self.docs}
        return self._by_stem.get(stem, stem)


def file_stem(doc_id: str) -> str:
    """The file name (without ``.txt``) a record is written under: its id, made safe."""
    return re.sub(r"[^\w.-]", "_", doc_id)


def load(folder: Path) -> Collection:
    """The collection in ``folder``, in whichever layout it has."""
    if (folder / "corpus.jsonl").exists():
        return load_beir(folder)
    return load_smart(folder)


def _smart_records(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """``(id, {field: text})`` for each ``.I`` record of a SMART file."""
    record_id, fields, current = None, dict[str, list[str]](), ""
    for line in path.read_text(encoding="latin-1").splitlines():
        match = _FIELD.match(line)
        if match and match.group(1) == "I":
            if record_id is not None:
                yield record_id, {k: " ".join(v).strip() for k, v in fields.items()}
            record_id, fields, current = (match.group(2) or "").strip(), {}, ""
        elif match:
            current = match.group(1)
            fields.setdefault(current, [])
            if match.group(2):
                fields[current].append(match.group(2))
        elif current:
            fields[current].append(line.strip())
    if record_id is not None:
        yield record_id, {k: " ".join(v).strip() for k, v in fields.items()}


def load_smart(folder: Path) -> Collection:
    records = next(iter(sorted(folder.glob("*.all"))), None)
    if records is None:
        raise FileNotFoundError(f"{folder}: no *.all records file (SMART) nor corpus.jsonl (BEIR)")
    docs = {
        rid: (fields.get("T", ""), fields.get("W", "")) for rid, fields in _smart_records(records)
    }
    queries = {qid: fields.get("W", "") for qid, fields in _smart_records(folder / "query.text")}
    qrels: dict[str, dict[str, int]] = {}
    for line in (folder / "qrels.text").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            qrels.setdefault(str(int(parts[0])), {})[str(int(parts[1]))] = 1
    return Collection(folder.name, docs, {str(int(q)): t for q, t in queries.items()}, qrels)


def load_beir(folder: Path) -> Collection:
    docs: dict[str, tuple[str, str]] = {}
    with (folder / "corpus.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            docs[str(row["_id"])] = (row.get("title") or "", row.get("text") or "")
    queries: dict[str, str] = {}
    with (folder / "queries.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            queries[str(row["_id"])] = row["text"]
    qrels: dict[str, dict[str, int]] = {}
    for n, line in enumerate((folder / "qrels" / "test.tsv").read_text().splitlines()):
        parts = line.split("\t")
        if n == 0 and not parts[-1].strip().lstrip("-").isdigit():
            continue  # the header
        if len(parts) >= 3 and int(parts[2]) > 0:
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return Collection(folder.name, docs, queries, qrels)


def write_documents(collection: Collection, folder: Path) -> int:
    """One ``.txt`` per record (title, blank line, text); returns how many were written."""
    folder.mkdir(parents=True, exist_ok=True)
    for doc_id, (title, text) in collection.docs.items():
        body = f"{title}\n\n{text}\n" if text else f"{title}\n"
        (folder / f"{file_stem(doc_id)}.txt").write_text(body, encoding="utf-8")
    return len(collection.docs)


def ndcg_at(ranked: Sequence[str], gains: dict[str, int], k: int = 10) -> float:
    """Normalised discounted cumulative gain of the first ``k`` ids (graded, log2 discount)."""
    dcg = sum(gains.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(gains.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: Sequence[str], gains: dict[str, int], k: int = 10) -> float:
    relevant = {d for d, g in gains.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def nonsense_queries(count: int = 50, seed: int = 7) -> list[str]:
    """Random letter strings, one or two "words" of 4 to 10 letters."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = []
    for _ in range(count):
        words = [
            "".join(rng.choice(letters) for _ in range(rng.randint(4, 10)))
            for _ in range(rng.choice((1, 1, 2)))
        ]
        out.append(" ".join(words))
    return out


#: Questions about cooking: off-topic for a collection about computing (CACM).
COOKING_QUESTIONS = [
    "how long should I boil an egg for a runny yolk",
    "what temperature do I roast a whole chicken at",
    "how do I make bread dough rise faster",
    "can I freeze fresh basil leaves",
    "best way to caramelize onions without burning them",
    "how much salt goes into pasta water",
    "why did my cake sink in the middle",
    "substitute for buttermilk in pancakes",
    "how to make a smooth tomato sauce from fresh tomatoes",
    "how long to rest a steak after grilling",
    "what is the difference between baking soda and baking powder",
    "how do I keep avocados from turning brown",
    "recipe for a simple vinaigrette dressing",
    "how to poach salmon in the oven",
    "how to tell when a pineapple is ripe",
    "can you cook rice in chicken stock",
    "how to make whipped cream by hand",
    "which potatoes are best for mashing",
    "how do I stop cookies from spreading on the tray",
    "how to cure a cast iron skillet",
    "what spices go into a curry powder",
    "how to make crispy roast potatoes",
    "how long do cooked lentils keep in the fridge",
    "how to fold egg whites into chocolate mousse",
    "why is my homemade pizza crust soggy",
    "how to sharpen a kitchen knife with a whetstone",
    "what wine pairs with grilled lamb chops",
    "how to thicken a soup without flour",
    "how many minutes to steam broccoli",
    "how to make a sourdough starter from scratch",
    "is it safe to eat raw cookie dough",
    "how to marinate tofu so it absorbs flavour",
    "what is a roux and how do I make one",
    "how to make pancakes fluffy",
    "how to blanch almonds and remove the skins",
    "best temperature for deep frying chips",
    "how to keep lettuce crisp in a salad",
    "how to melt chocolate in a double boiler",
    "how to make ice cream without a machine",
    "what cut of beef is best for a stew",
    "how to brine a turkey for thanksgiving",
    "how do I make homemade yogurt",
    "how to roast garlic in the oven",
    "how to store fresh herbs like parsley and coriander",
    "how to make a lemon meringue pie",
    "why does my omelette stick to the pan",
    "how to cook quinoa so it is not mushy",
    "how long to bake sweet potatoes",
    "how to make gravy from the roasting juices",
    "what is the secret to a flaky pie crust",
]
