"""Full-text search behind one interface: SQLite FTS5 or PostgreSQL tsvector, ranked by a
relevance that depends on nothing but the matched record and the query.

**Relevance** (the same definition on both databases), for a query of ``m`` distinct terms, each
matched as a prefix of a word: for each term ``t``, ``n`` is how many words of the record's
name field (``search_name``: its name and aliases) start with ``t`` and ``x`` how many words of
its text field (``search_text``) do; the relevance is

    sum over terms of (NAME_WEIGHT * n / (n + 1) + TEXT_WEIGHT * x / (x + 1))
    / (m * (NAME_WEIGHT + TEXT_WEIGHT))

a number in [0, 1), higher is better. Repeated words count with diminishing returns; a record
whose name holds every term (≥ 0.45) always ranks above one that only mentions them in its text
(< 0.10), so a thing ranks before statements about it. Ties are broken by record id.

No statistic of the corpus enters it (no document frequencies, no average lengths, unlike BM25),
so what a caller sees cannot depend on records it may not see. On SQLite the word counts come
from FTS5's own index, one row per word occurrence of a record (``fts5vocab`` in ``instance``
mode); on PostgreSQL from the record's own ``search_vector`` (its lexemes, positions and
weights: A for the name, B for the text).

On SQLite, ranking and the sharing filter are done in two steps so that a broad query does not
check visibility for every match: the relevance of every match is computed from the index alone
(cheap), then blocks of whole tied groups are put in exact order (score, then id) and the
visibility filter runs on windows of that order until the page is full (windows from
:data:`FIRST_WINDOW` growing up to :data:`MAX_WINDOW`). Results are identical to ranking every
visible match in one joined query (:func:`full_ranking`).

On PostgreSQL, a record's relevance needs its ``search_vector`` taken apart row by row (about
16 microseconds a match), and so does the sharing filter; for a broad term (11k matches at 100k
records) that cost 230-290 ms. Instead, each match first gets an upper bound of its relevance
computed in C from its vector alone (:func:`_pg_bounds`): per term and field, no occurrence, exactly
one, or more, read from ``ts_rank`` of the field's positions (one occurrence ranks exactly
1/1.6449, any more ranks higher). Matches are read in the order of that bound (then id), and
the exact relevance and the sharing filter are computed only for windows of that order, until
no match left can enter the page (its bound is below the page's last score, or equal with a
greater id). The answer is again exactly :func:`full_ranking`'s: the bounds only decide how
far to read, and they are computed from each record's own vector, so no hidden record moves a
visible one. Ties are ordered by id in byte order on both databases (``COLLATE "C"``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    Select,
    Subquery,
    any_,
    bindparam,
    case,
    column,
    func,
    lateral,
    literal_column,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql

from accord.errors import BadRequest
from accord.store.schema import records

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_TERMS = 12
_T = TypeVar("_T")
#: Relevance weights of a record's name field and of its text field.
NAME_WEIGHT = 10.0
TEXT_WEIGHT = 1.0
#: Ranked matches checked for visibility at a time: the first window, growing 4 times up to
#: the last.
FIRST_WINDOW = 200
MAX_WINDOW = 12_800
#: An FTS5 view of the index with one row per word occurrence: (term, doc, col, offset).
_VOCAB = "temp.records_fts_terms"


def terms_of(text: str) -> list[str]:
    """The distinct search terms of a free-text query (at most 12), as FTS5 indexes words
    (``unicode61 remove_diacritics 2``): lower-cased, diacritics removed, split at anything but
    letters and digits."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    terms = list(dict.fromkeys(_WORD.findall(bare)))[:MAX_TERMS]
    if not terms:
        raise BadRequest("the search text has no words to look for")
    return terms


def _relevance_sql(n: str, x: str) -> str:
    """One term's share of the relevance, given its counts in the name (n) and text (x)."""
    return f"{NAME_WEIGHT} * {n} / ({n} + 1) + {TEXT_WEIGHT} * {x} / ({x} + 1)"


def _sqlite_scored(text_: str) -> Subquery:
    """SQLite: (doc, score) of every record in which every term starts a word. Reads only the
    FTS5 index: each record's own occurrences of each term, by field."""
    terms = terms_of(text_)
    params: dict[str, str] = {}
    scans = []
    for i, term in enumerate(terms):
        # Words starting with the term: from the term up to (excluded) the term with its last
        # character incremented.
        params[f"lo{i}"], params[f"hi{i}"] = term, term[:-1] + chr(ord(term[-1]) + 1)
        scans.append(
            f"SELECT {i} AS i, doc, col FROM {_VOCAB} "  # noqa: S608 - numbers only
            f"WHERE term >= :lo{i} AND term < :hi{i} AND doc IN matched"
        )
    # FTS5's own MATCH finds the same records (each term as a prefix) faster, by intersecting
    # its lists; the occurrence rows are then only grouped for those records.
    params["match"] = " ".join(f'"{t}"*' for t in terms)
    denominator = len(terms) * (NAME_WEIGHT + TEXT_WEIGHT)
    query = text(
        "WITH matched AS MATERIALIZED "  # noqa: S608 - numbers and constants only
        "(SELECT rowid AS doc FROM records_fts WHERE records_fts MATCH :match), "
        f"hits AS ({' UNION ALL '.join(scans)}), "
        "per_term AS (SELECT doc, i, sum(col = 'search_name') AS n, sum(col = 'search_text') AS x "
        "FROM hits GROUP BY doc, i) "
        f"SELECT doc, sum({_relevance_sql('n', 'x')}) / {denominator} AS score "
        f"FROM per_term GROUP BY doc HAVING count(*) = {len(terms)}"
    )
    scored = query.bindparams(**params).columns(column("doc", Integer), column("score", Float))
    return scored.subquery("scored")


def _pg_prefix_query(text: str) -> ColumnElement[Any]:
    """PostgreSQL: every lexeme of the text as a prefix, parsed exactly as documents are
    (so "Tallinn Manual 2.0" looks for the lexeme '2.0', as indexed)."""
    lexemes = func.unnest(func.to_tsvector("simple", text)).table_valued(
        "lexeme", "positions", "weights"
    )
    prefixes = func.string_agg(func.quote_literal(lexemes.c.lexeme).concat(":*"), " & ")
    return func.to_tsquery("simple", select(prefixes).scalar_subquery())


def _pg_relevance(text_: str) -> Any:
    """PostgreSQL: a lateral subquery giving each record's relevance from its own
    ``search_vector``, the terms being the text's lexemes (as :func:`_pg_prefix_query`)."""
    return lateral(
        text(
            f"SELECT coalesce(sum({_relevance_sql('t.n', 't.x')}), 0) "  # noqa: S608 - constants
            f"/ ({NAME_WEIGHT + TEXT_WEIGHT} * greatest(count(*), 1)) AS score FROM ("
            "SELECT q.lexeme, count(*) FILTER (WHERE w.w = 'A')::float8 AS n, "
            "count(*) FILTER (WHERE w.w = 'B')::float8 AS x "
            "FROM unnest(to_tsvector('simple', :search_text)) AS q "
            "LEFT JOIN LATERAL (SELECT unnest(d.weights) AS w "
            "FROM unnest(records.search_vector) AS d WHERE starts_with(d.lexeme, q.lexeme)) AS w "
            "ON true GROUP BY q.lexeme) AS t"
        )
        .bindparams(search_text=text_)
        .columns(column("score", Float)),
        name="relevance",
    )


def _search_query(
    dialect: str, text: str, where: ColumnElement[bool], kinds: Sequence[str], limit: int
) -> Select[Any]:
    """A ranked query of (id, score) over visible records matching every term as a prefix,
    best first, ties by id."""
    if dialect == "sqlite":
        scored = _sqlite_scored(text)
        score = scored.c.score
        query = select(records.c.id, score).select_from(
            scored.join(records, records.c.pk == scored.c.doc)
        )
    else:
        terms_of(text)  # rejects a query without words
        vector: ColumnElement[Any] = literal_column("records.search_vector")
        relevance = _pg_relevance(text)
        score = relevance.c.score
        query = (
            select(records.c.id, score)
            .select_from(records.join(relevance, true()))
            .where(vector.op("@@")(_pg_prefix_query(text)))
        )
    query = query.where(where).order_by(score.desc(), _by_id(dialect))
    if kinds:
        query = query.where(records.c.kind.in_(list(kinds)))
    return query.limit(limit)


def _by_id(dialect: str) -> ColumnElement[Any]:
    """Record ids in byte order (SQLite's own; PostgreSQL's depends on the database's collation
    otherwise)."""
    return records.c.id if dialect == "sqlite" else records.c.id.collate("C")


#: Per term and field: the bound of ``n / (n + 1)`` read from ``ts_rank`` of the field's
#: positions: 0 when none (rank 0), 1/2 when exactly one (rank 1/1.6449 = 0.6079; two
#: positions rank at least 0.7599), else 1 (a bound: n/(n+1) < 1).
_ONE_OCCURRENCE_BELOW = 0.68


def _pg_bounds(lexemes: Sequence[str], kinds: Sequence[str]) -> Select[Any]:
    """PostgreSQL: (pk, id, bound) of every match of every lexeme as a prefix, highest bound
    first, ties by id; ``bound`` divided by ``len(lexemes) * (NAME_WEIGHT + TEXT_WEIGHT)`` is an
    upper bound of the record's relevance, equal to it when no term occurs twice in a field.
    Reads each match's own vector, no sharing filter (see the module)."""
    vector: ColumnElement[Any] = literal_column("records.search_vector")
    alike: ColumnElement[Any] = literal_column(
        "'{1,1,1,1}'::real[]"
    )  # every weight alike: positions count
    ranks = []
    for i, lexeme in enumerate(lexemes):
        term = func.to_tsquery(
            "simple", func.quote_literal(bindparam(f"lexeme_{i}", lexeme)).concat(":*")
        )
        for field, weight in (("a", NAME_WEIGHT), ("b", TEXT_WEIGHT)):
            positions = func.ts_filter(vector, literal_column(f"'{{{field}}}'::\"char\"[]"))
            ranks.append((func.ts_rank(alike, positions, term).label(f"r{i}{field}"), weight))
    matches = select(records.c.pk, records.c.id, *(rank for rank, _ in ranks)).where(
        vector.op("@@")(_pg_prefix_query_of(lexemes))
    )
    if kinds:
        matches = matches.where(records.c.kind.in_(list(kinds)))
    found = matches.subquery("matches")
    bound: ColumnElement[Any] = literal_column("0.0")
    for rank, weight in ranks:
        column_ = found.c[rank.name]
        bound = bound + case(
            (column_ == 0, 0.0), (column_ < _ONE_OCCURRENCE_BELOW, weight / 2), else_=weight
        )
    labelled = bound.label("bound")
    return select(found.c.pk, found.c.id, labelled).order_by(
        labelled.desc(), found.c.id.collate("C")
    )


def _pg_prefix_query_of(lexemes: Sequence[str]) -> ColumnElement[Any]:
    """PostgreSQL: a query for every lexeme as a prefix (the same as
    :func:`_pg_prefix_query` of the text the lexemes come from)."""
    prefixes = [
        func.quote_literal(bindparam(f"all_{i}", lexeme)).concat(":*")
        for i, lexeme in enumerate(lexemes)
    ]
    joined = func.concat_ws(" & ", *prefixes)
    return func.to_tsquery("simple", joined)


def _pg_windowed(
    conn: Connection, text_: str, where: ColumnElement[bool], kinds: Sequence[str], limit: int
) -> list[tuple[str, float]]:
    """PostgreSQL: the top ``limit`` visible matches, best first, ties by id (see the module).
    Read-only."""
    terms_of(text_)  # rejects a query without words
    lexeme = func.unnest(func.to_tsvector("simple", text_)).table_valued("lexeme")
    lexemes = [str(x) for x in conn.execute(select(lexeme.c.lexeme)).scalars()]
    if not lexemes:
        return []
    scale = len(lexemes) * (NAME_WEIGHT + TEXT_WEIGHT)
    relevance = _pg_relevance(text_)
    found: list[tuple[str, float]] = []
    window = max(FIRST_WINDOW, limit * 4)
    # A server-side cursor read a thousand rows a round trip: a broad term's windows usually
    # end within the first, and at a million records the matches run to 100k.
    bounds = _pg_bounds(lexemes, kinds).execution_options(yield_per=_FETCH)
    with conn.execute(bounds) as ranked:
        block = ranked.fetchmany(window)
        while block:
            scored = (
                select(records.c.id, relevance.c.score)
                .select_from(records.join(relevance, true()))
                .where(records.c.pk == any_(_pks(block)), where)
            )
            found.extend((str(rid), float(score)) for rid, score in conn.execute(scored))
            found.sort(key=lambda hit: (-hit[1], hit[0]))
            del found[limit:]
            window = min(window * 4, MAX_WINDOW)
            block = ranked.fetchmany(window)
            if block and len(found) == limit:
                last_id, last = found[-1]
                bound = float(block[0].bound) / scale
                if bound < last - _EPSILON or (bound <= last + _EPSILON and block[0].id > last_id):
                    break
    return found


#: Far below the gap between two different relevance values, far above float rounding.
_EPSILON = 1e-12
#: Rows of the bounds read per round trip.
_FETCH = 1_000


def _pks(block: Sequence[Any]) -> Any:
    """The keys of a block of bound rows as one array parameter (a short statement, whatever
    the window's size)."""
    return bindparam("pks", [int(row.pk) for row in block], type_=postgresql.ARRAY(Integer))


def _windowed(
    conn: Connection, text: str, where: ColumnElement[bool], kinds: Sequence[str], limit: int
) -> list[tuple[str, float]]:
    """SQLite: the top ``limit`` visible matches, best first, ties by id. Read-only.

    Every match is ranked from the index alone; then blocks of whole tied groups are read from
    that ranking (lazily: most searches need only the first), put in their exact order (ids
    read by rowid, no sharing check), and the sharing filter runs on windows of that order
    until ``limit`` visible records are found."""
    scored = _sqlite_scored(text)
    ranking = select(scored.c.doc, scored.c.score).order_by(scored.c.score.desc())
    found: list[tuple[str, float]] = []
    window = max(FIRST_WINDOW, limit * 4)
    with conn.execute(ranking) as result:
        ahead: list[tuple[int, float]] = []
        while True:
            block = ahead + [(int(d), float(s)) for d, s in result.fetchmany(window - len(ahead))]
            ahead = []
            for doc, score in result:  # a block ends with a whole group of equal scores
                if block and score != block[-1][1]:
                    ahead = [(int(doc), float(score))]
                    break
                block.append((int(doc), float(score)))
            if not block:
                return found
            id_of: dict[int, str] = {}
            for docs in _parts([doc for doc, _ in block], MAX_WINDOW):
                query = select(records.c.pk, records.c.id).where(records.c.pk.in_(docs))
                id_of.update((int(pk), str(rid)) for pk, rid in conn.execute(query))
            ordered = sorted((-score, id_of[doc], doc) for doc, score in block)
            for part in _parts(ordered, window):
                check = select(records.c.pk).where(
                    records.c.pk.in_([doc for *_, doc in part]), where
                )
                if kinds:
                    check = check.where(records.c.kind.in_(list(kinds)))
                visible = set(conn.execute(check).scalars())
                found.extend((rid, -negative) for negative, rid, doc in part if doc in visible)
                if len(found) >= limit:
                    return found[:limit]
            window = min(window * 4, MAX_WINDOW)


def _parts(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    """Consecutive slices of at most ``size`` items."""
    for at in range(0, len(items), size):
        yield items[at : at + size]


def _prepare(conn: Connection) -> None:
    """SQLite: create this connection's view of the FTS5 index by occurrence (a temporary,
    per-connection table; the database file is not written)."""
    conn.exec_driver_sql(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {_VOCAB} USING fts5vocab(main, records_fts, instance)"
    )


def full_ranking(
    conn: Connection, text: str, where: ColumnElement[bool], kinds: Sequence[str], limit: int
) -> list[tuple[str, float]]:
    """Rank every visible match in one joined query: (id, relevance) pairs best first, ties by
    id. Read-only; the reference the windowed searches of both databases are tested against."""
    if conn.dialect.name == "sqlite":
        _prepare(conn)
    query = _search_query(conn.dialect.name, text, where, kinds, limit)
    return [(str(rid), float(score)) for rid, score in conn.execute(query)]


def run_search(
    conn: Connection, text: str, where: ColumnElement[bool], kinds: Sequence[str], limit: int
) -> list[tuple[str, float]]:
    """Execute a search; returns (id, relevance) pairs best first. Read-only."""
    if conn.dialect.name == "sqlite":
        _prepare(conn)
        return _windowed(conn, text, where, kinds, limit)
    return _pg_windowed(conn, text, where, kinds, limit)


def index_new(conn: Connection, first_id: str) -> None:
    """Add the records this transaction just inserted, from ``first_id`` on, to the full-text
    index. Writes.

    SQLite: one INSERT ... SELECT per batch into FTS5 (a per-row insert trigger cost several
    times more; updates and deletes keep their triggers). Rows are numbered in insertion order
    and the transaction has held the write lock since it inserted ``first_id``, so every row
    from that one on is its own. PostgreSQL indexes a generated column by itself.
    """
    if conn.dialect.name != "sqlite":
        return
    first = conn.execute(select(records.c.pk).where(records.c.id == first_id)).scalar_one()
    conn.exec_driver_sql(
        "INSERT INTO records_fts(rowid, search_name, search_text) "
        "SELECT pk, search_name, search_text FROM records WHERE pk >= ?",
        (first,),
    )
