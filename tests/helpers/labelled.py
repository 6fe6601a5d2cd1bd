"""A small labelled retrieval set: documents, and queries with the file that should come first.

Three kinds of query, because each kind defeats one retriever:

* paraphrases that share no word with their document (keyword search cannot find them);
* exact identifiers, codes and rare names among near-duplicate documents (semantic search
  cannot tell the candidates apart);
* mixed queries with a bit of both.

Hybrid search must beat both single retrievers on mean nDCG@10 over the whole set.
"""

from __future__ import annotations

import math
from pathlib import Path

DOCUMENTS = {
    "animals/cat.txt": "The feline dozed all afternoon on the woven rug by the fireplace.",
    "animals/dog.txt": "Our puppy loves fetching sticks at the park every morning.",
    "animals/geese.txt": "Migrating geese fly south in V-shaped formations each autumn.",
    "cooking/bread.txt": "Knead the dough for ten minutes, then let it rise until doubled.",
    "cooking/sauce.txt": "Simmer the tomatoes with garlic and basil for a rich sauce.",
    "finance/inv-20931.txt": "Invoice INV-20931: server rack and network switches, due in 30 days.",
    "finance/inv-77812.txt": "Invoice INV-77812: office chairs and standing desks, due in 30 days.",
    "finance/inv-55120.txt": "Invoice INV-55120: laptops and docking stations, due in 30 days.",
    "finance/inv-64007.txt": "Invoice INV-64007: printer toner and paper reams, due in 30 days.",
    "tech/e4012.txt": "Error code E4012 means the disk quota was exceeded during the backup.",
    "tech/e7731.txt": "Error code E7731 means the network timed out during the backup.",
    "tech/e5090.txt": "Error code E5090 means the archive checksum did not match after backup.",
    "tech/pods.txt": "Kubernetes pods restart automatically when a liveness probe fails.",
    "travel/japan.txt": "We visited temples in Kyoto and ate ramen in Osaka.",
    "travel/iceland.txt": "Glaciers, geysers and black sand beaches made the trip unforgettable.",
    "people/zhao.txt": "Dr. Quillon Zhao leads the protein folding research group.",
    "people/meyer.txt": "Dr. Anneliese Meyer leads the climate modelling research group.",
    "people/okafor.txt": "Dr. Tobenna Okafor leads the soil microbiology research group.",
    "health/sleep.txt": "Adults need seven to nine hours of rest each night to stay healthy.",
    "sports/marathon.txt": "Running a marathon requires months of endurance training.",
}

#: (query, the file that should rank first)
QUERIES = [
    ("cat sleeping on a carpet", "animals/cat.txt"),
    ("young canine playing outdoors", "animals/dog.txt"),
    ("baking loaves at home", "cooking/bread.txt"),
    ("how much slumber do grown-ups require", "health/sleep.txt"),
    ("hot springs and ice fields vacation", "travel/iceland.txt"),
    ("birds heading to warmer places", "animals/geese.txt"),
    ("INV-77812", "finance/inv-77812.txt"),
    ("INV-64007", "finance/inv-64007.txt"),
    ("E7731", "tech/e7731.txt"),
    ("E5090", "tech/e5090.txt"),
    ("Quillon", "people/zhao.txt"),
    ("Okafor", "people/okafor.txt"),
    ("invoice for chairs", "finance/inv-77812.txt"),
    ("backup failed with E4012", "tech/e4012.txt"),
    ("container health check restarts", "tech/pods.txt"),
]


def write_documents(root: Path) -> None:
    for name, text in DOCUMENTS.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")


def ndcg_at_10(ranked_paths: list[str], relevant: str) -> float:
    """nDCG@10 with one relevant document: 1 / log2(rank + 1), 0 when not in the top 10."""
    for rank, path in enumerate(ranked_paths[:10], start=1):
        if path == relevant:
            return 1.0 / math.log2(rank + 1)
    return 0.0
