// Search on SQLite FTS5 for the embedded platform, with OpenSearch's semantics: one table pair per generation,
// the tenant as an indexed column (and as a hex token in the FTS index so a match only walks one tenant's
// postings), external versions (an older `v` is refused as stale), tombstones kept, bm25 ranking and snippets.
// User input is never FTS5 syntax: each whitespace-separated term becomes a quoted phrase.
import Database from 'better-sqlite3';
import { Problem } from '../../core/problems.js';
import {
  generationSchema,
  MATCH_END,
  MATCH_START,
  queryTerms,
  renderHighlight,
  searchMappingSchema,
  type BulkResult,
  type Generation,
  type SearchDocument,
  type SearchHit,
  type SearchIndex,
  type SearchMapping,
  type SearchPage,
  type VersionEntry,
} from '../../core/search/search-index.js';
import type { TenantId } from '../../core/tenancy/tenancy.js';

const tenantToken = (tenantId: string): string => `t${Buffer.from(tenantId).toString('hex')}`;
const phrase = (term: string): string => `"${term.replaceAll('"', '""')}"`;

interface Row {
  rowid: number;
  v: number;
  deleted: number;
  subject: string;
  body: string;
  author: string;
  tenant_token: string;
}

export class SqliteSearchIndex implements SearchIndex {
  private readonly db: Database.Database;
  private readonly known = new Set<Generation>();

  /** `file` is a path, or ':memory:' for tests. */
  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec('CREATE TABLE IF NOT EXISTS generations (generation TEXT PRIMARY KEY, tokenize TEXT NOT NULL)');
  }

  close(): void {
    this.db.close();
  }

  async ensureGeneration(generation: Generation, mapping: SearchMapping = {}): Promise<void> {
    const tables = this.tables(generation);
    const tokenize = searchMappingSchema.parse(mapping).sqlite?.tokenize ?? 'unicode61 remove_diacritics 2';
    this.db.transaction(() => {
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS ${tables.docs} (
          rowid INTEGER PRIMARY KEY,
          tenant TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, conversation_id TEXT NOT NULL,
          v INTEGER NOT NULL, deleted INTEGER NOT NULL,
          subject TEXT NOT NULL, body TEXT NOT NULL, author TEXT NOT NULL, updated_at TEXT NOT NULL,
          tenant_token TEXT NOT NULL,
          UNIQUE (tenant, id));
        CREATE VIRTUAL TABLE IF NOT EXISTS ${tables.fts} USING fts5(
          tenant_token, subject, body, author,
          content='${tables.docs}', content_rowid='rowid', tokenize='${tokenize}');`);
      this.db.prepare('INSERT OR IGNORE INTO generations (generation, tokenize) VALUES (?, ?)').run(generation, tokenize);
    })();
    this.known.add(generation);
  }

  async bulkUpsert(generation: Generation, documents: readonly SearchDocument[]): Promise<BulkResult[]> {
    const tables = this.existing(generation);
    const select = this.db.prepare<[string, string], Row>(
      `SELECT rowid, v, deleted, subject, body, author, tenant_token FROM ${tables.docs} WHERE tenant = ? AND id = ?`,
    );
    const insert = this.db.prepare(
      `INSERT INTO ${tables.docs} (tenant, id, kind, conversation_id, v, deleted, subject, body, author, updated_at, tenant_token)
       VALUES (@tenant, @id, @kind, @conversationId, @v, @deleted, @subject, @body, @author, @updatedAt, @tenantToken)`,
    );
    const update = this.db.prepare(
      `UPDATE ${tables.docs} SET v = @v, deleted = @deleted, subject = @subject, body = @body, author = @author,
       updated_at = @updatedAt WHERE rowid = @rowid`,
    );
    const ftsInsert = this.db.prepare(`INSERT INTO ${tables.fts} (rowid, tenant_token, subject, body, author) VALUES (?, ?, ?, ?, ?)`);
    const ftsDelete = this.db.prepare(
      `INSERT INTO ${tables.fts} (${tables.fts}, rowid, tenant_token, subject, body, author) VALUES ('delete', ?, ?, ?, ?, ?)`,
    );
    return this.db.transaction((docs: readonly SearchDocument[]) =>
      docs.map((doc): BulkResult => {
        const current = select.get(doc.tenantId, doc.id);
        if (current && current.v >= doc.v) return 'stale';
        const values = {
          tenant: doc.tenantId,
          id: doc.id,
          kind: doc.kind,
          conversationId: doc.conversationId,
          v: doc.v,
          deleted: doc.deleted ? 1 : 0,
          subject: doc.subject,
          body: doc.body,
          author: doc.author,
          updatedAt: doc.updatedAt,
          tenantToken: tenantToken(doc.tenantId),
        };
        let rowid: number;
        if (current) {
          if (!current.deleted) ftsDelete.run(current.rowid, current.tenant_token, current.subject, current.body, current.author);
          update.run({ ...values, rowid: current.rowid });
          rowid = current.rowid;
        } else rowid = Number(insert.run(values).lastInsertRowid);
        // Tombstones stay in the documents table (for versions) but leave the full-text index.
        if (!doc.deleted) ftsInsert.run(rowid, values.tenantToken, doc.subject, doc.body, doc.author);
        return 'applied';
      }),
    )(documents);
  }

  async search(generation: Generation, tenantId: TenantId, query: string, limit: number, after?: string): Promise<SearchPage> {
    const tables = this.existing(generation);
    const terms = queryTerms(query);
    if (terms.length === 0) return { hits: [] };
    const match = `tenant_token : ${tenantToken(tenantId)} AND {subject body author} : (${terms.map(phrase).join(' ')})`;
    const position = after === undefined ? undefined : parsePosition(after);
    const rows = this.db
      .prepare<
        unknown[],
        { rowid: number; id: string; kind: 'conversation' | 'comment'; conversation_id: string; updated_at: string; score: number }
      >(
        `SELECT d.rowid, d.id, d.kind, d.conversation_id, d.updated_at, s.score FROM (
           SELECT rowid, bm25(${tables.fts}, 0, 4.0, 1.0, 0.5) AS score FROM ${tables.fts} WHERE ${tables.fts} MATCH ?) s
         JOIN ${tables.docs} d ON d.rowid = s.rowid
         WHERE d.tenant = ? AND d.deleted = 0
           AND NOT EXISTS (SELECT 1 FROM ${tables.docs} c WHERE c.tenant = d.tenant AND c.id = d.conversation_id AND c.deleted = 1)
           ${position ? 'AND (s.score > ? OR (s.score = ? AND d.id > ?))' : ''}
         ORDER BY s.score, d.id LIMIT ?`,
      )
      .all(match, tenantId, ...(position ? [position.score, position.score, position.id] : []), limit + 1);
    const page = rows.slice(0, limit);
    // Snippets only for the page: computing them for every match would cost more than the search itself.
    const excerpts = new Map(
      page.length === 0
        ? []
        : this.db
            .prepare<unknown[], { rowid: number; subject: string; body: string }>(
              `SELECT rowid,
                      snippet(${tables.fts}, 1, '${MATCH_START}', '${MATCH_END}', '…', 16) AS subject,
                      snippet(${tables.fts}, 2, '${MATCH_START}', '${MATCH_END}', '…', 16) AS body
               FROM ${tables.fts} WHERE ${tables.fts} MATCH ? AND rowid IN (${page.map(() => '?').join(',')})`,
            )
            .all(match, ...page.map((row) => row.rowid))
            .map((row) => [row.rowid, row.body.includes(MATCH_START) || !row.subject.includes(MATCH_START) ? row.body : row.subject]),
    );
    const hits: SearchHit[] = page.map((row) => ({
      id: row.id,
      kind: row.kind,
      conversationId: row.conversation_id,
      // bm25 is lower-is-better; hits expose higher-is-better like OpenSearch's _score.
      score: -row.score,
      highlight: renderHighlight(excerpts.get(row.rowid) ?? ''),
      updatedAt: row.updated_at,
    }));
    const last = page.at(-1);
    return rows.length > limit && last ? { hits, next: JSON.stringify([last.score, last.id]) } : { hits };
  }

  async count(generation: Generation, tenantId: TenantId): Promise<number> {
    const tables = this.existing(generation);
    return (this.db.prepare(`SELECT count(*) AS n FROM ${tables.docs} WHERE tenant = ? AND deleted = 0`).get(tenantId) as { n: number }).n;
  }

  async scanVersions(generation: Generation, tenantId: TenantId): Promise<VersionEntry[]> {
    const tables = this.existing(generation);
    return this.db
      .prepare<[string], { id: string; v: number; deleted: number }>(
        `SELECT id, v, deleted FROM ${tables.docs} WHERE tenant = ? ORDER BY id`,
      )
      .all(tenantId)
      .map((row) => ({ id: row.id, v: row.v, deleted: row.deleted === 1 }));
  }

  async versionsOf(generation: Generation, tenantId: TenantId, ids: readonly string[]): Promise<VersionEntry[]> {
    const tables = this.existing(generation);
    const select = this.db.prepare<[string, string], { id: string; v: number; deleted: number }>(
      `SELECT id, v, deleted FROM ${tables.docs} WHERE tenant = ? AND id = ?`,
    );
    return ids.flatMap((id) => {
      const row = select.get(tenantId, id);
      return row ? [{ id: row.id, v: row.v, deleted: row.deleted === 1 }] : [];
    });
  }

  async dropGeneration(generation: Generation): Promise<void> {
    const tables = this.tables(generation);
    this.db.transaction(() => {
      this.db.exec(`DROP TABLE IF EXISTS ${tables.fts}; DROP TABLE IF EXISTS ${tables.docs};`);
      this.db.prepare('DELETE FROM generations WHERE generation = ?').run(generation);
    })();
    this.known.delete(generation);
  }

  /** Table names for a generation; the name is validated first, since it becomes part of SQL text. */
  private tables(generation: Generation) {
    const name = generationSchema.parse(generation);
    return { docs: `docs_${name}`, fts: `fts_${name}` };
  }

  private existing(generation: Generation) {
    if (!this.known.has(generation)) {
      const row = this.db.prepare('SELECT 1 FROM generations WHERE generation = ?').get(generation);
      if (!row) throw new Problem('not-found', `Search generation ${generation} does not exist.`);
      this.known.add(generation);
    }
    return this.tables(generation);
  }
}

function parsePosition(after: string): { score: number; id: string } {
  const [score, id] = JSON.parse(after) as [number, string];
  if (typeof score !== 'number' || typeof id !== 'string') throw new Error('malformed search position');
  return { score, id };
}
